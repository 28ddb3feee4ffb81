/**
 * Recognises the parameter blocks that image-generation front ends write, wherever they were found
 * (PNG text chunk, EXIF tag, stealth alpha data). Each parser is strict enough that ordinary camera or
 * editor metadata never matches: we look for the front end's own structure, not for words like "AI".
 */

export interface GeneratorFinding {
  generator: string;
  model?: string;
  prompt?: string;
  /** Where it was found, e.g. `png:tEXt:parameters`, `exif:UserComment`, `xmp:DigitalSourceType`. */
  source: string;
  /** `generated` = parameters of a generation; `composite` = AI-edited or partly generated. */
  kind: 'generated' | 'composite';
}

export const PROMPT_MAX = 200;

export function truncate(text: string | undefined, max = PROMPT_MAX): string | undefined {
  if (text === undefined) return undefined;
  const clean = text.replace(/\s+/g, ' ').trim();
  if (!clean) return undefined;
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function parseJson(text: string): Json | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.parse(trimmed) as Json;
  } catch {
    return undefined;
  }
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: Json | undefined): string | undefined {
  return typeof value === 'string' && value.trim() ? value : undefined;
}

/** AUTOMATIC1111 / Forge / SD.Next "parameters": prompt, optional negative, then "Steps: N, Sampler: …". */
const A1111_SETTINGS = /(?:^|\n)Steps: \d+, (?:Sampler|Seed|CFG scale|Size): /;

export function parseA1111(text: string, source: string): GeneratorFinding | null {
  const match = A1111_SETTINGS.exec(text);
  if (!match) return null;
  const settings = text.slice(match.index).trim();
  const head = text.slice(0, match.index);
  const negative = head.indexOf('\nNegative prompt:');
  const prompt = negative >= 0 ? head.slice(0, negative) : head;
  const model = /(?:^|, )Model: ([^,\n]+)/.exec(settings)?.[1];
  const version = /(?:^|, )Version: ([^,\n]+)/.exec(settings)?.[1];
  const generator = version?.startsWith('f') ? 'Stable Diffusion WebUI Forge' : 'AUTOMATIC1111';
  return { generator, model: model?.trim(), prompt: truncate(prompt), source, kind: 'generated' };
}

const MODEL_FILE = /\.(?:safetensors|ckpt|pt|pth|gguf|sft|bin)$/i;
const MODEL_INPUTS = ['ckpt_name', 'unet_name', 'model_name', 'base_ckpt_name'];
const AUXILIARY_MODEL = /vae|clip|t5|umt5|text_?encoder|llava|gemma|lora|upscale|controlnet/i;

/** ComfyUI API-format `prompt`: `{ "<id>": { class_type, inputs } }`. */
export function parseComfyPrompt(text: string, source: string): GeneratorFinding | null {
  const graph = parseJson(text);
  if (!isObject(graph)) return null;
  const nodes = Object.values(graph).filter(isObject).filter((n) => typeof n['class_type'] === 'string' && isObject(n['inputs']));
  if (nodes.length === 0) return null;
  const models: string[] = [];
  for (const node of nodes) {
    const inputs = node['inputs'] as JsonObject;
    for (const key of MODEL_INPUTS) {
      const value = str(inputs[key]);
      if (value && !models.includes(value)) models.push(value);
    }
  }
  const prompt = comfyPositivePrompt(graph, nodes);
  return { generator: 'ComfyUI', model: models[0], prompt: truncate(prompt), source, kind: comfyKind(nodes) };
}

/** Follows a sampler's `positive` link back to the text encoder, through conditioning nodes. */
function comfyPositivePrompt(graph: JsonObject, nodes: JsonObject[]): string | undefined {
  const textOf = (id: Json | undefined, depth: number): string | undefined => {
    if (depth > 6 || (typeof id !== 'string' && typeof id !== 'number')) return undefined;
    const node = graph[String(id)];
    if (!isObject(node) || !isObject(node['inputs'])) return undefined;
    const inputs = node['inputs'];
    const direct = str(inputs['text']) ?? str(inputs['text_g']) ?? str(inputs['prompt']) ?? str(inputs['positive']);
    if (direct) return direct;
    for (const value of Object.values(inputs)) {
      if (Array.isArray(value) && value.length === 2) {
        const found = textOf(value[0], depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  };
  for (const node of nodes) {
    const positive = (node['inputs'] as JsonObject)['positive'];
    if (Array.isArray(positive)) {
      const found = textOf(positive[0], 0);
      if (found) return found;
    }
  }
  for (const node of nodes) {
    if (String(node['class_type']).startsWith('CLIPTextEncode')) {
      const inputs = node['inputs'] as JsonObject;
      const text = str(inputs['text']) ?? str(inputs['text_g']);
      if (text) return text;
    }
  }
  return undefined;
}

/** A graph that loads an input image and masks/edits it is an AI edit of that image, not a pure generation. */
function comfyKind(nodes: JsonObject[]): 'generated' | 'composite' {
  const types = nodes.map((n) => String(n['class_type']));
  const loadsImage = types.some((t) => t === 'LoadImage');
  const edits = types.some((t) => /Inpaint|Outpaint|SetLatentNoiseMask|Edit|InstructPixToPix/i.test(t));
  return loadsImage && edits ? 'composite' : 'generated';
}

/** ComfyUI UI-format `workflow`: `{ nodes: [{ type, widgets_values }] }`. */
export function parseComfyWorkflow(text: string, source: string): GeneratorFinding | null {
  const doc = parseJson(text);
  if (!isObject(doc) || !Array.isArray(doc['nodes'])) return null;
  const nodes = doc['nodes'].filter(isObject);
  if (nodes.length === 0 || !nodes.some((n) => typeof n['type'] === 'string')) return null;
  const models: string[] = [];
  let prompt: string | undefined;
  for (const node of nodes) {
    const widgets = Array.isArray(node['widgets_values']) ? node['widgets_values'] : [];
    for (const w of widgets.map(str)) if (w !== undefined && MODEL_FILE.test(w)) models.push(w);
    if (!prompt && String(node['type']).startsWith('CLIPTextEncode')) prompt = str(widgets[0]);
  }
  // The UI format does not say which file is the diffusion model; text encoders and VAEs are not it.
  const model = models.find((m) => !AUXILIARY_MODEL.test(m)) ?? models[0];
  const types = nodes.map((n) => ({ class_type: String(n['type']), inputs: {} }));
  return { generator: 'ComfyUI', model, prompt: truncate(prompt), source, kind: comfyKind(types) };
}

/** Fooocus writes JSON `parameters` (with a `fooocus_scheme` chunk) or the same keys in `Comment`. */
export function parseFooocus(text: string, source: string): GeneratorFinding | null {
  const doc = parseJson(text);
  if (!isObject(doc) || !('base_model' in doc) || !('prompt' in doc || 'full_prompt' in doc)) return null;
  const full = doc['full_prompt'];
  const prompt = str(doc['prompt']) ?? (Array.isArray(full) ? str(full[0]) : undefined);
  return { generator: 'Fooocus', model: str(doc['base_model']), prompt: truncate(prompt), source, kind: 'generated' };
}

export function parseInvoke(keyword: string, text: string, source: string): GeneratorFinding | null {
  if (keyword === 'Dream') {
    // Legacy InvokeAI: `"prompt" -s 50 -S 42 -W 512 -H 512 -C 7.5 -A k_lms`
    const m = /^"([\s\S]*?)"\s+-[sSWHCA]\s/.exec(text.trim());
    return m ? { generator: 'InvokeAI', prompt: truncate(m[1]), source, kind: 'generated' } : null;
  }
  const doc = parseJson(text);
  if (!isObject(doc)) return null;
  if (keyword === 'invokeai_metadata') {
    const model = isObject(doc['model']) ? str(doc['model']['model_name']) ?? str(doc['model']['name']) : str(doc['model']);
    return { generator: 'InvokeAI', model, prompt: truncate(str(doc['positive_prompt'])), source, kind: 'generated' };
  }
  if (keyword === 'sd-metadata') {
    const image = isObject(doc['image']) ? doc['image'] : {};
    const rawPrompt = image['prompt'];
    const prompt = str(rawPrompt) ?? (Array.isArray(rawPrompt) && isObject(rawPrompt[0]) ? str(rawPrompt[0]['prompt']) : undefined);
    return { generator: 'InvokeAI', model: str(doc['model_weights']), prompt: truncate(prompt), source, kind: 'generated' };
  }
  return null;
}

/** SwarmUI writes JSON `parameters` with a `sui_image_params` object. */
export function parseSwarmUi(text: string, source: string): GeneratorFinding | null {
  const doc = parseJson(text);
  const params = isObject(doc) ? doc['sui_image_params'] : undefined;
  if (!isObject(params)) return null;
  return { generator: 'SwarmUI', model: str(params['model']), prompt: truncate(str(params['prompt'])), source, kind: 'generated' };
}

/** Midjourney PNG/WebP downloads put the prompt and a job UUID into `Description`. */
export function parseMidjourneyDescription(text: string, source: string): GeneratorFinding | null {
  const m = /^([\s\S]*?)\s*Job ID:\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.exec(text);
  return m ? { generator: 'Midjourney', prompt: truncate(m[1]), source, kind: 'generated' } : null;
}

/** NovelAI: `Software: NovelAI`, prompt in `Description`, JSON settings in `Comment`, model in `Source`. */
export function parseNovelAi(texts: ReadonlyMap<string, string>, sourcePrefix: string): GeneratorFinding | null {
  if (!/^NovelAI/i.test(texts.get('Software') ?? '')) return null;
  const comment = parseJson(texts.get('Comment') ?? '');
  const prompt = texts.get('Description') ?? (isObject(comment) ? str(comment['prompt']) : undefined);
  return { generator: 'NovelAI', model: texts.get('Source'), prompt: truncate(prompt), source: `${sourcePrefix}Software`, kind: 'generated' };
}

/**
 * Software names of generators and AI editors, matched against EXIF Software/Artist/ImageDescription/
 * Make/Model, XMP CreatorTool and credit lines. Deliberately specific ("Bing Image Creator", not
 * "Designer") because plain editors share generic words.
 */
const SOFTWARE_SIGNATURES: ReadonlyArray<{ pattern: RegExp; generator: string; kind: 'generated' | 'composite' }> = [
  { pattern: /\bmidjourney\b/i, generator: 'Midjourney', kind: 'generated' },
  { pattern: /\bdall[\s·.\-]?e\b/i, generator: 'DALL·E', kind: 'generated' },
  { pattern: /\bopenai\b|\bchatgpt\b|\bgpt-image\b|\bsora\b/i, generator: 'OpenAI', kind: 'generated' },
  { pattern: /\b(?:adobe )?firefly\b/i, generator: 'Adobe Firefly', kind: 'generated' },
  { pattern: /\bgenerative fill\b/i, generator: 'Adobe Photoshop Generative Fill', kind: 'composite' },
  { pattern: /\bstable[\s-]?diffusion\b|\bstability\.?ai\b|\bdreamstudio\b|\bsdxl\b/i, generator: 'Stable Diffusion', kind: 'generated' },
  { pattern: /\bnovelai\b/i, generator: 'NovelAI', kind: 'generated' },
  { pattern: /\bcomfyui\b/i, generator: 'ComfyUI', kind: 'generated' },
  { pattern: /\bautomatic1111\b|\bstable-diffusion-webui\b/i, generator: 'AUTOMATIC1111', kind: 'generated' },
  { pattern: /\binvoke-?ai\b/i, generator: 'InvokeAI', kind: 'generated' },
  { pattern: /\bfooocus\b/i, generator: 'Fooocus', kind: 'generated' },
  { pattern: /\bdraw things\b/i, generator: 'Draw Things', kind: 'generated' },
  { pattern: /\bdiffusionbee\b/i, generator: 'DiffusionBee', kind: 'generated' },
  { pattern: /\bleonardo\.ai\b/i, generator: 'Leonardo.Ai', kind: 'generated' },
  { pattern: /\bideogram\b/i, generator: 'Ideogram', kind: 'generated' },
  { pattern: /\bnightcafe\b/i, generator: 'NightCafe', kind: 'generated' },
  { pattern: /\bbing image creator\b|\bimage creator from microsoft designer\b|\bmicrosoft designer\b/i, generator: 'Microsoft Designer / Bing Image Creator', kind: 'generated' },
  { pattern: /\bmade with google ai\b|\bgoogle (?:imagen|gemini)\b|\bimagen \d\b|\bsynthid\b/i, generator: 'Google AI', kind: 'generated' },
  { pattern: /\bedited with google ai\b|\bmagic editor\b/i, generator: 'Google AI (edit)', kind: 'composite' },
  { pattern: /\bblack forest labs\b|\bflux\.1\b/i, generator: 'FLUX (Black Forest Labs)', kind: 'generated' },
  { pattern: /\bai generated image\b|\bgenerated by ai\b|\bai-generated\b/i, generator: 'unspecified AI generator', kind: 'generated' },
];

export function matchSoftware(value: string, source: string): GeneratorFinding | null {
  for (const sig of SOFTWARE_SIGNATURES) {
    if (sig.pattern.test(value)) return { generator: sig.generator, source, kind: sig.kind, prompt: undefined, model: undefined };
  }
  return null;
}

/** IPTC DigitalSourceType codes that mean a model made (part of) the pixels. */
const SOURCE_TYPES: ReadonlyArray<{ code: string; kind: 'generated' | 'composite' }> = [
  { code: 'trainedAlgorithmicMedia', kind: 'generated' },
  { code: 'compositeWithTrainedAlgorithmicMedia', kind: 'composite' },
  { code: 'algorithmicMedia', kind: 'generated' },
  { code: 'compositeSynthetic', kind: 'composite' },
];

/** Matches a DigitalSourceType value, bare or as the IPTC newscodes URI. */
export function matchDigitalSourceType(value: string): { code: string; kind: 'generated' | 'composite' } | null {
  const code = /(?:digitalsourcetype\/)?([A-Za-z]+)\s*$/.exec(value.trim())?.[1];
  return SOURCE_TYPES.find((t) => t.code === code) ?? null;
}

/** Parses one ComfyUI-style tagged value (`prompt:{…}` / `workflow:{…}`), as ComfyUI writes into WebP EXIF. */
export function parseTaggedComfy(value: string, source: string): GeneratorFinding | null {
  const m = /^(prompt|workflow):\s*([{[][\s\S]*)$/.exec(value);
  if (!m?.[2]) return null;
  return m[1] === 'prompt' ? parseComfyPrompt(m[2], `${source}(prompt)`) : parseComfyWorkflow(m[2], `${source}(workflow)`);
}
