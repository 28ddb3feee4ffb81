/** A multipart body built by the platform's own FormData encoder, as a real client would send it. */
export async function multipart(file: Buffer | null, fields: Record<string, string> = {}, fileName = 'upload.jpg'): Promise<{ payload: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  if (file) form.set('file', new Blob([file]), fileName);
  const response = new Response(form);
  return { payload: Buffer.from(await response.arrayBuffer()), contentType: response.headers.get('content-type')! };
}
