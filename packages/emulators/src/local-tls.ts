import { randomUUID, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { generate } from 'selfsigned';

/**
 * A self-signed certificate (EC P-256, 90 days) for `127.0.0.1`, `::1`, `localhost` and `hosts`: what the https
 * emulators serve, and what their clients are told to trust ({@link trustCertificate}).
 */
export async function selfSignedCertificate(
  hosts: readonly string[] = [],
): Promise<{ key: string; cert: string }> {
  const names = [...new Set(['127.0.0.1', '::1', 'localhost', ...hosts])];
  const now = Date.now();
  // A unique subject: certificates trusted side by side must not share one, or TLS looks up the wrong one.
  const pems = await generate([{ name: 'commonName', value: `local emulator ${randomUUID()}` }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60 * 60 * 1000),
    notAfterDate: new Date(now + 90 * 24 * 60 * 60 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: names.map((name) =>
          isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
        ),
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

function fingerprintOf(pem: string): string | undefined {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
}

/**
 * Makes TLS clients of this process and thread (Node's `fetch`, `https`, hence the Azure SDKs) trust a certificate
 * by adding it to the default CA list (`tls.setDefaultCACertificates`, Node 24.5+). No certificate checks are
 * switched off. Connections opened before the call are not affected.
 *
 * @returns A function that removes the certificate again.
 */
export function trustCertificate(pem: string): () => void {
  const fingerprint = fingerprintOf(pem);
  if (fingerprint === undefined) throw new Error('not a PEM certificate');
  const current = tls.getCACertificates('default');
  if (!current.some((c) => fingerprintOf(c) === fingerprint)) tls.setDefaultCACertificates([...current, pem]);
  return () => {
    tls.setDefaultCACertificates(
      tls.getCACertificates('default').filter((c) => fingerprintOf(c) !== fingerprint),
    );
  };
}
