/**
 * Builds real signed C2PA files for tests: no public file carries a generative manifest, so we sign
 * real photos ourselves with c2pa-ts and a throwaway CA + leaf certificate that meets the C2PA
 * certificate profile (the profile, not a trust list, is what c2pa-ts checks).
 *
 * `@peculiar/x509` (devDependency) is the certificate library c2pa-ts itself uses (its signer takes that type).
 */
import * as x509 from '@peculiar/x509';
import { JPEG, PNG, type Asset } from '@trustnxt/c2pa-ts/asset';
import { CoseAlgorithmIdentifier, LocalSigner } from '@trustnxt/c2pa-ts/cose';
import { ActionAssertion, DataHashAssertion, ManifestStore, type Action } from '@trustnxt/c2pa-ts/manifest';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
let signerPromise: Promise<LocalSigner> | undefined;

async function makeSigner(): Promise<LocalSigner> {
  const day = 86_400_000;
  const validity = { notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + 30 * day) };
  const caKeys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Tollgate test CA',
    ...validity,
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const keys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=Tollgate test signer, O=Tollgate',
    issuer: ca.subject,
    ...validity,
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      await x509.AuthorityKeyIdentifierExtension.create(ca),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.emailProtection]),
    ],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return new LocalSigner(pkcs8, CoseAlgorithmIdentifier.ES256, leaf, [ca]);
}

export interface SignOptions {
  actions: Action[];
  claimGenerator?: string;
}

/** Returns the file with a signed manifest embedded (JPEG or PNG). */
export async function signWithManifest(bytes: Buffer, options: SignOptions): Promise<Buffer> {
  signerPromise ??= makeSigner();
  const signer = await signerPromise;
  const asset: Asset = JPEG.canRead(bytes) ? new JPEG(bytes) : new PNG(bytes);
  const store = new ManifestStore();
  const manifest = store.createManifest({ assetFormat: asset.mimeType, instanceID: `xmp:iid:${crypto.randomUUID()}`, defaultHashAlgorithm: 'SHA-256', signer });
  if (options.claimGenerator && manifest.claim) manifest.claim.claimGeneratorName = options.claimGenerator;
  const actions = new ActionAssertion();
  actions.actions = options.actions;
  manifest.addAssertion(actions);
  const binding = DataHashAssertion.create('SHA-256');
  manifest.addAssertion(binding);
  await asset.ensureManifestSpace(store.measureSize());
  await binding.updateWithAsset(asset);
  await manifest.sign(signer);
  await asset.writeManifestJUMBF(store.getBytes());
  return Buffer.from(await asset.getDataRange());
}
