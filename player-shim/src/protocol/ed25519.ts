/**
 * Ed25519 signature checks. WebCrypto's `{name: "Ed25519"}` when the engine has it (Chromium 137+,
 * Firefox 129+, Safari 17+, Node 20); otherwise the audited pure-TS `@noble/ed25519` (RFC 8032
 * strict mode, its SHA-512 from WebCrypto). Without `crypto.subtle` at all (an insecure context)
 * nothing here works and the shim turns P2P off: peer bytes are never used unverified.
 */

import { verifyAsync as nobleVerifyAsync } from "@noble/ed25519";
import { bytesToHex, ownBuffer } from "./bytes";

export type Ed25519Backend = "webcrypto" | "noble";

export interface Ed25519Verifier {
  readonly backend: Ed25519Backend;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

export function hasSubtleCrypto(): boolean {
  return typeof globalThis.crypto !== "undefined" && typeof globalThis.crypto.subtle !== "undefined";
}

class WebCryptoEd25519 implements Ed25519Verifier {
  readonly backend = "webcrypto";
  private readonly keys = new Map<string, Promise<CryptoKey>>();

  constructor(private readonly subtle: SubtleCrypto) {}

  private key(publicKey: Uint8Array): Promise<CryptoKey> {
    const id = bytesToHex(publicKey);
    let key = this.keys.get(id);
    if (!key) {
      key = this.subtle.importKey("raw", ownBuffer(publicKey), { name: "Ed25519" }, false, ["verify"]);
      this.keys.set(id, key);
    }
    return key;
  }

  async verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      const key = await this.key(publicKey);
      return await this.subtle.verify({ name: "Ed25519" }, key, ownBuffer(signature), ownBuffer(message));
    } catch {
      return false; // a malformed key or point is a failed verification, not a crash
    }
  }
}

class NobleEd25519 implements Ed25519Verifier {
  readonly backend = "noble";

  async verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      // zip215: false = RFC 8032 strict, the same acceptance rule as OpenSSL and WebCrypto.
      return await nobleVerifyAsync(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  }
}

let detected: Promise<Ed25519Verifier> | null = null;

/** Picks the backend once per page: WebCrypto if it imports an Ed25519 key, else noble. */
export function ed25519Verifier(): Promise<Ed25519Verifier> {
  if (!detected) detected = detect();
  return detected;
}

async function detect(): Promise<Ed25519Verifier> {
  if (!hasSubtleCrypto()) throw new Error("crypto.subtle unavailable (insecure context): cannot verify");
  const subtle = globalThis.crypto.subtle;
  try {
    // A valid point (the base point's encoding) so the probe tests support, not input checks.
    const probe = new Uint8Array(32);
    probe.set([0x58], 0);
    probe.fill(0x66, 1);
    await subtle.importKey("raw", probe, { name: "Ed25519" }, false, ["verify"]);
    return new WebCryptoEd25519(subtle);
  } catch {
    return new NobleEd25519();
  }
}

/** For tests: a specific backend regardless of what the engine offers. */
export function ed25519VerifierFor(backend: Ed25519Backend): Ed25519Verifier {
  return backend === "webcrypto" ? new WebCryptoEd25519(globalThis.crypto.subtle) : new NobleEd25519();
}
