/**
 * A private Sigstore for keyless tests, made with the same algorithms the public instance uses:
 * a "Fulcio" CA and leaf certificates made by the `openssl` CLI (ECDSA P-256, the leaf with the
 * signer's SAN, code-signing usage and Fulcio's OIDC issuer extensions 1.3.6.1.4.1.57264.1.1
 * (raw) and .1.8 (DER UTF8String)), a "Rekor" P-256 key that signs inclusion promises (SET over
 * the canonical JSON of body, integratedTime, logID, logIndex) and checkpoints (signed notes over a
 * one-leaf RFC 6962 tree), and a trusted_root.json naming both. Signatures come out in both
 * formats cosign writes: cosign 2.x `.sig` layer annotations, and Sigstore v0.3 bundles (DSSE
 * in-toto statement, cosign's sign predicate).
 */
import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync, type KeyObject, sign, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REKOR_URL = "https://rekor.imagectl.test";
const b64 = (b: Buffer | string): string => Buffer.from(b).toString("base64");
const sha256 = (b: Buffer | string): Buffer => createHash("sha256").update(b).digest();

/** RFC 8785-style canonical JSON for the plain objects used here (sorted keys, no spaces). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

export interface Leaf {
  certPem: string;
  chainPem: string;
  key: KeyObject;
}

export interface LeafOptions {
  /** `email:ci@example.com` or `URI:https://…` (openssl's subjectAltName syntax). */
  san: string;
  issuer: string;
}

export interface CosignLayerOptions {
  /** No `dev.sigstore.cosign/bundle` (no transparency log entry). */
  noTlog?: boolean;
}

export interface BundleOptions {
  /** The statement's subject digest (default: the digest signed). */
  subjectDigest?: string;
  predicateType?: string;
}

export interface PrivateSigstore {
  /** trusted_root.json naming this CA and log (and, with `ctlog`, a CT log: SCTs then required). */
  trustedRoot(opts?: { ctlog?: boolean }): string;
  leaf(opts: LeafOptions): Leaf;
  /** A leaf from another CA, one no trusted root names. */
  foreignLeaf(opts: LeafOptions): Leaf;
  /** Annotations of a cosign 2.x keyless `.sig` layer over `payload`. */
  cosignLayer(payload: Buffer, leaf: Leaf, opts?: CosignLayerOptions): Record<string, string>;
  /** A Sigstore v0.3 bundle as `cosign sign --new-bundle-format` writes it for `digest`. */
  bundle(digest: string, leaf: Leaf, opts?: BundleOptions): Record<string, unknown>;
  /** A Sigstore v0.3 bundle with a message signature over `artifact` (a manifest's bytes). */
  messageBundle(artifact: Buffer, leaf: Leaf): Record<string, unknown>;
  /** Removes the working directory. */
  close(): void;
}

/** A CA in `dir` (not named by any root unless it is this Sigstore's). */
function makeCa(dir: string, name: string): { pem: string; keyFile: string; certFile: string } {
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  writeFileSync(keyFile, key.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-new",
      "-key",
      keyFile,
      "-subj",
      `/O=imagectl-test/CN=${name}`,
      "-days",
      "3650",
      "-sha256",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-addext",
      "subjectKeyIdentifier=hash",
      "-out",
      certFile,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return { pem: execFileSync("openssl", ["x509", "-in", certFile], { encoding: "utf8" }), keyFile, certFile };
}

/** Rekor's hashedrekord v0.0.1 body for a signature over `data` by `leaf`. */
function hashedRekord(data: Buffer, signature: Buffer, leaf: Leaf): Record<string, unknown> {
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: sha256(data).toString("hex") } },
      signature: { content: b64(signature), publicKey: { content: b64(leaf.certPem) } },
    },
  };
}

export function privateSigstore(): PrivateSigstore {
  const dir = mkdtempSync(join(tmpdir(), "imagectl-sigstore-"));
  const ca = makeCa(dir, "test-fulcio");
  // Another CA nobody trusts: a certificate from it must be refused.
  const foreign = makeCa(dir, "foreign-fulcio");
  const rekor = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const rekorSpki = rekor.publicKey.export({ type: "spki", format: "der" });
  const logId = sha256(rekorSpki);
  const ctKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
    type: "spki",
    format: "der",
  });
  let serial = 1;
  let logIndex = 0;

  const issue = (o: LeafOptions, by: { keyFile: string; certFile: string; pem: string }): Leaf => {
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const n = serial++;
    const keyFile = join(dir, `leaf${n}.key`);
    writeFileSync(keyFile, key.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    const ext = join(dir, `leaf${n}.cnf`);
    writeFileSync(
      ext,
      [
        "[v3]",
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=codeSigning",
        `subjectAltName=critical,${o.san}`,
        "subjectKeyIdentifier=hash",
        "authorityKeyIdentifier=keyid",
        `1.3.6.1.4.1.57264.1.1=DER:${Buffer.from(o.issuer).toString("hex")}`,
        `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${o.issuer}`,
        "",
      ].join("\n"),
    );
    const csr = join(dir, `leaf${n}.csr`);
    execFileSync("openssl", ["req", "-new", "-key", keyFile, "-subj", "/O=sigstore.dev", "-out", csr], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const certPem = execFileSync(
      "openssl",
      [
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        by.certFile,
        "-CAkey",
        by.keyFile,
        "-set_serial",
        String(1000 + n),
        "-days",
        "1",
        "-sha256",
        "-extfile",
        ext,
        "-extensions",
        "v3",
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    return { certPem, chainPem: by.pem, key };
  };

  /** A log entry for `body`, integrated now, with its promise (SET) and a one-leaf inclusion proof. */
  const logEntry = (body: Record<string, unknown>) => {
    const canonical = canonicalJson(body);
    const integratedTime = Math.floor(Date.now() / 1000) + 1;
    const index = logIndex++;
    const set = sign(
      "sha256",
      Buffer.from(
        canonicalJson({
          body: b64(canonical),
          integratedTime,
          logID: logId.toString("hex"),
          logIndex: index,
        }),
      ),
      rekor.privateKey,
    );
    const root = sha256(Buffer.concat([Buffer.from([0]), Buffer.from(canonical)]));
    const note = `rekor.imagectl.test - 1\n1\n${b64(root)}\n`;
    const noteSig = sign("sha256", Buffer.from(note), rekor.privateKey);
    const envelope = `${note}\n\u2014 rekor.imagectl.test ${b64(Buffer.concat([logId.subarray(0, 4), noteSig]))}\n`;
    return {
      rekorBundle: {
        SignedEntryTimestamp: b64(set),
        Payload: { body: b64(canonical), integratedTime, logIndex: index, logID: logId.toString("hex") },
      },
      entry: {
        logIndex: String(index),
        logId: { keyId: b64(logId) },
        kindVersion: { kind: body.kind, version: body.apiVersion },
        integratedTime: String(integratedTime),
        inclusionPromise: { signedEntryTimestamp: b64(set) },
        // A one-leaf tree of its own: the proof is for leaf 0 of a tree of size 1.
        inclusionProof: {
          logIndex: "0",
          rootHash: b64(root),
          treeSize: "1",
          hashes: [],
          checkpoint: { envelope },
        },
        canonicalizedBody: b64(canonical),
      },
    };
  };

  const derOf = (pem: string): string => b64(new X509Certificate(pem).raw);

  return {
    trustedRoot(o = {}) {
      const start = "2020-01-01T00:00:00Z";
      const log = (key: Buffer, url: string) => ({
        baseUrl: url,
        hashAlgorithm: "SHA2_256",
        publicKey: { rawBytes: b64(key), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start } },
        logId: { keyId: b64(sha256(key)) },
      });
      return JSON.stringify({
        mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        tlogs: [log(rekorSpki, REKOR_URL)],
        certificateAuthorities: [
          {
            subject: { organization: "imagectl-test", commonName: "test-fulcio" },
            uri: "https://fulcio.imagectl.test",
            certChain: { certificates: [{ rawBytes: derOf(ca.pem) }] },
            validFor: { start },
          },
        ],
        ctlogs: o.ctlog ? [log(ctKey, "https://ctfe.imagectl.test")] : [],
        timestampAuthorities: [],
      });
    },
    leaf(o) {
      return issue(o, ca);
    },
    cosignLayer(payload, leaf, o = {}) {
      const signature = sign("sha256", payload, leaf.key);
      const body = hashedRekord(payload, signature, leaf);
      return {
        "dev.cosignproject.cosign/signature": b64(signature),
        "dev.sigstore.cosign/certificate": leaf.certPem,
        "dev.sigstore.cosign/chain": leaf.chainPem,
        ...(o.noTlog ? {} : { "dev.sigstore.cosign/bundle": JSON.stringify(logEntry(body).rekorBundle) }),
      };
    },
    bundle(digest, leaf, o = {}) {
      const subject = (o.subjectDigest ?? digest).replace(/^sha256:/, "");
      const statement = Buffer.from(
        JSON.stringify({
          _type: "https://in-toto.io/Statement/v1",
          subject: [{ name: "image", digest: { sha256: subject } }],
          predicateType: o.predicateType ?? "https://sigstore.dev/cosign/sign/v1",
          predicate: {},
        }),
      );
      const payloadType = "application/vnd.in-toto+json";
      // DSSE's pre-authentication encoding, what the signature covers.
      const pae = Buffer.concat([
        Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${statement.length} `),
        statement,
      ]);
      const sig = sign("sha256", pae, leaf.key);
      const envelopeJson = {
        payload: b64(statement),
        payloadType,
        signatures: [{ sig: b64(sig), keyid: "" }],
      };
      const body = {
        apiVersion: "0.0.1",
        kind: "dsse",
        spec: {
          envelopeHash: { algorithm: "sha256", value: sha256(canonicalJson(envelopeJson)).toString("hex") },
          payloadHash: { algorithm: "sha256", value: sha256(statement).toString("hex") },
          signatures: [{ signature: b64(sig), verifier: b64(leaf.certPem) }],
        },
      };
      return {
        mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
        verificationMaterial: {
          certificate: { rawBytes: derOf(leaf.certPem) },
          tlogEntries: [logEntry(body).entry],
        },
        dsseEnvelope: envelopeJson,
      };
    },
    foreignLeaf(o) {
      return issue(o, foreign);
    },
    messageBundle(artifact, leaf) {
      const signature = sign("sha256", artifact, leaf.key);
      const body = hashedRekord(artifact, signature, leaf);
      return {
        mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
        verificationMaterial: {
          certificate: { rawBytes: derOf(leaf.certPem) },
          tlogEntries: [logEntry(body).entry],
        },
        messageSignature: {
          messageDigest: { algorithm: "SHA2_256", digest: b64(sha256(artifact)) },
          signature: b64(signature),
        },
      };
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
