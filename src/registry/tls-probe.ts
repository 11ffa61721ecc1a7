import { connect } from "node:net";

/** What a port answered to a TLS ClientHello. */
export type TlsProbeResult = "tls" | "plain" | "no-server";

// TLS record content types a server answers a ClientHello with: handshake (ServerHello,
// HelloRetryRequest) or alert (it speaks TLS but refuses our offer). Anything else is not TLS.
const TLS_HANDSHAKE = 0x16;
const TLS_ALERT = 0x15;
// Nothing listens (or it hung up at once): the plain-HTTP attempt will report it, with retries.
const NO_SERVER = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL/;

/**
 * Does `host:port` speak TLS? Sends one ClientHello and reads the first byte of the answer.
 *
 * Why by hand rather than `tls.connect`: node:tls costs ~10 ms to load and a TLS context more,
 * which a loopback registry on plain HTTP (the usual local/CI registry) never needs; the
 * question is only which protocol the port speaks, and that is in the first byte of the reply.
 * Nothing is negotiated or trusted here: when the answer is TLS, the real request verifies the
 * certificate. A plain HTTP server answers the hello's bytes with "HTTP/1.1 400" or closes.
 */
export function probeTls(
  host: string,
  port: number,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<TlsProbeResult> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const socket = connect({ host, port });
    const done = (result: TlsProbeResult | Error): void => {
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onAbort = (): void => done(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    socket.setTimeout(timeoutMs, () => done("no-server"));
    socket.once("connect", () => socket.write(CLIENT_HELLO));
    socket.once("data", (chunk: Buffer) => {
      const first = chunk[0];
      done(first === TLS_HANDSHAKE || first === TLS_ALERT ? "tls" : "plain");
    });
    // Closed without a byte: a server that hangs up on a ClientHello does not speak TLS.
    socket.once("end", () => done("plain"));
    socket.once("error", (err: NodeJS.ErrnoException) => {
      done(NO_SERVER.test(`${err.code ?? ""}`) ? "no-server" : "plain");
    });
  });
}

/**
 * A TLS 1.2/1.3 ClientHello (RFC 8446 §4.1.2) that any TLS server parses and answers, as
 * constant bytes: record header 16 0301; handshake 01; version 0303; 32 zero bytes of random
 * (nothing is ever negotiated); no session id; ten common cipher suites (TLS 1.3 AES/ChaCha,
 * ECDHE-ECDSA/RSA-AES-GCM, ECDHE-ChaCha20, RSA-AES128-GCM); null compression; extensions
 * supported_groups (x25519, P-256, P-384), ec_point_formats, signature_algorithms and
 * supported_versions (1.3, 1.2). No SNI: a server that wants one still answers in TLS (an
 * alert or its default certificate), which is all the probe asks.
 */
const CLIENT_HELLO = Buffer.from(
  "16030100720100006e0303" +
    "0000000000000000000000000000000000000000000000000000000000000000" +
    "00" +
    "0014130113021303c02bc02fc02cc030cca9cca8009c" +
    "0100" +
    "0031000a00080006001d00170018000b00020100000d0012001004030804040105030805050108060601002b00050403040303",
  "hex",
);
