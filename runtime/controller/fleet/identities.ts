// Who may join and as what: the three tokens, and the identities this controller signs for the
// nodes that joined (checked by every relay with the public key only).
import type { TokenKey } from "../../http/token-key.ts";
import type { IdentityCheck } from "../../../protocol/messages.ts";
import { IdentityVerifier, type IdentitySigner, type Identity } from "../../http/identity-token.ts";

export class Identities {
  /** Checks every identity this controller issued under its current tokens. */
  readonly verifier: IdentityVerifier;

  constructor(
    readonly signer: IdentitySigner,
    private readonly tokens: { cluster: TokenKey; relay: TokenKey; admin: TokenKey },
    private readonly ttlMs: number,
  ) {
    this.verifier = new IdentityVerifier(signer.publicKeyPem, this.identityTokens());
  }

  /** Workers join with it. */
  get token(): TokenKey { return this.tokens.cluster; }
  /** Relays join with it. */
  get relayToken(): TokenKey { return this.tokens.relay; }
  /** Commands and deploys. */
  get adminToken(): TokenKey { return this.tokens.admin; }

  /** Fingerprints of the tokens that may join (an identity issued under another is revoked). */
  identityTokens(): string[] {
    return [...new Set([this.tokens.cluster.fingerprint, this.tokens.relay.fingerprint])];
  }

  /** What a relay needs to check its workers' identities: the public key only. */
  identityCheck(): IdentityCheck {
    return { publicKey: this.signer.publicKeyPem, tokens: this.identityTokens() };
  }

  issue(id: Omit<Identity, "expiresAt">): { signed: string; expiresAt: number } {
    const expiresAt = Date.now() + this.ttlMs;
    return { signed: this.signer.issue({ ...id, expiresAt }), expiresAt };
  }
}
