import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../logger';

/** A sealed value and the id of the key that sealed it (stored beside the ciphertext so keys can rotate). */
export interface Sealed {
  keyId: string;
  ciphertext: string;
}

const VERSION = 'v1';

/**
 * AES-256-GCM with a random 96-bit IV per value. The current key seals; any known key (current or previous)
 * opens, found by its id, so rotating means: set the new key, keep the old one in GATEWAY_ENCRYPTION_PREVIOUS_KEYS until
 * every connection has been re-sealed (each token refresh re-seals with the current key).
 */
export class TokenCipher {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(current: Buffer, previous: Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== 32) throw new Error('encryption keys must be 32 bytes');
      this.keys.set(TokenCipher.keyIdOf(key), key);
    }
    this.currentKeyId = TokenCipher.keyIdOf(current);
  }

  /** A key's public id: the first 16 hex digits of its SHA-256 (reveals nothing usable about the key). */
  static keyIdOf(key: Buffer): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  seal(plaintext: string, associatedData: string): Sealed {
    const key = this.keys.get(this.currentKeyId)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return {
      keyId: this.currentKeyId,
      ciphertext: [VERSION, iv.toString('base64'), tag.toString('base64'), body.toString('base64')].join('.'),
    };
  }

  /**
   * Opens a sealed value. `associatedData` binds the ciphertext to its row (the connection id), so a ciphertext copied
   * onto another row does not open.
   */
  open(sealed: Sealed, associatedData: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new Error(`no encryption key with id ${sealed.keyId} is configured`);
    const [version, iv, tag, body] = sealed.ciphertext.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined)
      throw new Error('unrecognised ciphertext format');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}

/**
 * The cipher from the config. In local mode with no key configured, a key is generated once into
 * `data/encryption.key` (owner-only) with a warning: fine for a developer's machine, never for production, where the
 * config requires GATEWAY_ENCRYPTION_KEY.
 */
export function createTokenCipher(config: Readonly<Config>, logger: Logger): TokenCipher {
  const previous = config.previousEncryptionKeys.map((key) => Buffer.from(key, 'base64'));
  if (config.encryptionKey) return new TokenCipher(Buffer.from(config.encryptionKey, 'base64'), previous);
  const file = path.join(config.dataDir, 'encryption.key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    logger.warn(
      { file },
      'GATEWAY_ENCRYPTION_KEY is not set: generated a local encryption key (local mode only)',
    );
  }
  return new TokenCipher(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64'), previous);
}
