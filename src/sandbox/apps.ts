/**
 * The Intuit apps the emulator knows: client credentials, redirect URIs and webhook settings. A demo app exists from the
 * start so `npm run sandbox` and the gateway's local mode work with zero setup.
 */

/** Webhook payload format of an app (Intuit's portal switch). */
export type WebhookFormat = 'legacy' | 'cloudevents';

/** A registered app. */
export interface SandboxApp {
  clientId: string;
  clientSecret: string;
  /** Redirect URIs accepted exactly (string equality, like Intuit). */
  redirectUris: string[];
  /** Where change notifications are POSTed; no webhooks when absent. */
  webhookUrl?: string;
  /** Key of the `intuit-signature` HMAC. */
  verifierToken: string;
  webhookFormat: WebhookFormat;
  /**
   * Also accept any `http://localhost:<port>/...` or `http://127.0.0.1:<port>/...` redirect URI. On for the demo app
   * (a local emulator has nothing to protect, and test gateways listen on random ports), off for registered apps.
   */
  allowLoopbackRedirects: boolean;
  /**
   * Deliver webhooks for changes in every realm. Off by default: like Intuit, an app only hears about companies that
   * have connected it (a live grant).
   */
  webhookAllRealms: boolean;
}

/** Fields accepted by `POST /_sandbox/apps` and `PATCH /_sandbox/apps/{clientId}`. */
export type AppInput = Partial<SandboxApp>;

/** The demo app's defaults. Fixed values, so an emulator started elsewhere (`QBO_SANDBOX_URL`) has known credentials. */
export const DEMO_APP_DEFAULTS: Readonly<SandboxApp> = Object.freeze({
  clientId: 'sandbox-demo-client-id',
  clientSecret: 'sandbox-demo-client-secret',
  redirectUris: ['http://localhost:4000/oauth/callback'],
  verifierToken: 'sandbox-demo-verifier-token',
  webhookFormat: 'legacy',
  allowLoopbackRedirects: true,
  webhookAllRealms: false,
});

/** A bad admin request; the admin router answers 400 with its message. */
export class AdminInputError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Checks the fields present in `input`, throwing `AdminInputError` for the first bad one. */
function validateFields(input: AppInput): void {
  const str = (name: keyof SandboxApp): void => {
    const v = input[name];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) {
      throw new AdminInputError(`${name} must be a non-empty string`);
    }
  };
  str('clientId');
  str('clientSecret');
  str('verifierToken');
  if (input.redirectUris !== undefined) {
    if (
      !Array.isArray(input.redirectUris) ||
      !input.redirectUris.every((u) => typeof u === 'string' && isHttpUrl(u))
    ) {
      throw new AdminInputError('redirectUris must be an array of http(s) URLs');
    }
  }
  if (input.webhookUrl !== undefined && input.webhookUrl !== null) {
    if (typeof input.webhookUrl !== 'string' || !isHttpUrl(input.webhookUrl)) {
      throw new AdminInputError('webhookUrl must be an http(s) URL');
    }
  }
  if (
    input.webhookFormat !== undefined &&
    input.webhookFormat !== 'legacy' &&
    input.webhookFormat !== 'cloudevents'
  ) {
    throw new AdminInputError('webhookFormat must be "legacy" or "cloudevents"');
  }
  for (const flag of ['allowLoopbackRedirects', 'webhookAllRealms'] as const) {
    if (input[flag] !== undefined && typeof input[flag] !== 'boolean') {
      throw new AdminInputError(`${flag} must be a boolean`);
    }
  }
}

function copyApp(app: SandboxApp): SandboxApp {
  return { ...app, redirectUris: [...app.redirectUris] };
}

/** The app registry. */
export class AppRegistry {
  private readonly apps = new Map<string, SandboxApp>();
  private readonly demo: SandboxApp;
  private readonly demoOverrides: AppInput;

  constructor(demoOverrides: AppInput = {}) {
    validateFields(demoOverrides);
    this.demoOverrides = stripUndefined(demoOverrides);
    this.demo = { ...copyApp(DEMO_APP_DEFAULTS), ...this.demoOverrides };
    this.apps.set(this.demo.clientId, copyApp(this.demo));
  }

  /** The demo app's configured values (what `reset` restores). */
  get demoApp(): SandboxApp {
    return copyApp(this.demo);
  }

  get(clientId: string): SandboxApp | undefined {
    return this.apps.get(clientId);
  }

  list(): SandboxApp[] {
    return [...this.apps.values()].map(copyApp);
  }

  /** Apps with a webhook URL (the registry's own objects: read, never change them). */
  withWebhook(): SandboxApp[] {
    const out: SandboxApp[] = [];
    for (const app of this.apps.values()) if (app.webhookUrl) out.push(app);
    return out;
  }

  /** Registers an app, or replaces the one with the same clientId. */
  register(input: AppInput): SandboxApp {
    validateFields(input);
    if (!input.clientId || !input.clientSecret)
      throw new AdminInputError('clientId and clientSecret are required');
    if (!input.redirectUris || input.redirectUris.length === 0) {
      throw new AdminInputError('redirectUris must list at least one URL');
    }
    const app: SandboxApp = {
      clientId: input.clientId,
      clientSecret: input.clientSecret,
      redirectUris: [...input.redirectUris],
      webhookUrl: input.webhookUrl ?? undefined,
      verifierToken: input.verifierToken ?? `verifier-${input.clientId}`,
      webhookFormat: input.webhookFormat ?? 'legacy',
      allowLoopbackRedirects: input.allowLoopbackRedirects ?? false,
      webhookAllRealms: input.webhookAllRealms ?? false,
    };
    this.apps.set(app.clientId, app);
    return copyApp(app);
  }

  /** Changes some fields of an app (the gateway sets its webhook URL on the demo app once it knows its port). */
  update(clientId: string, patch: AppInput): SandboxApp {
    const app = this.apps.get(clientId);
    if (!app) throw new AdminInputError(`no app with clientId ${clientId}`, 404);
    if (patch.clientId !== undefined && patch.clientId !== clientId)
      throw new AdminInputError('clientId cannot change');
    validateFields(patch);
    const { webhookUrl, ...rest } = patch;
    Object.assign(app, stripUndefined(rest));
    if (rest.redirectUris) app.redirectUris = [...rest.redirectUris];
    // null (or "") removes the webhook URL; undefined leaves it alone.
    if (webhookUrl === null || (webhookUrl as unknown) === '') app.webhookUrl = undefined;
    else if (webhookUrl !== undefined) app.webhookUrl = webhookUrl;
    return copyApp(app);
  }

  remove(clientId: string): boolean {
    if (clientId === this.demo.clientId) throw new AdminInputError('the demo app cannot be removed');
    return this.apps.delete(clientId);
  }

  /** Forgets every app but the demo app, which gets its configured values back. */
  reset(): void {
    this.apps.clear();
    this.apps.set(this.demo.clientId, copyApp(this.demo));
  }

  /**
   * Replaces the registry from a snapshot. Changes made to the demo app at run time survive, but options given at
   * start-up win over them.
   */
  restore(apps: SandboxApp[]): void {
    this.apps.clear();
    for (const app of apps) {
      if (app && typeof app.clientId === 'string') this.apps.set(app.clientId, copyApp(app));
    }
    const saved = this.apps.get(this.demo.clientId);
    this.apps.set(
      this.demo.clientId,
      saved ? copyApp({ ...saved, ...this.demoOverrides }) : copyApp(this.demo),
    );
  }

  /** True when `uri` may receive the authorization code for `app`. */
  isRedirectAllowed(app: SandboxApp, uri: string): boolean {
    if (app.redirectUris.includes(uri)) return true;
    if (!app.allowLoopbackRedirects) return false;
    try {
      const u = new URL(uri);
      return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1');
    } catch {
      return false;
    }
  }
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
