/**
 * Local mode: the gateway tells the QuickBooks emulator where its webhook endpoint is (and which verifier token to
 * sign with), so `npm start` alone shows a change made in the emulator reaching the gateway. Against Intuit the URL
 * and the token are set in the developer portal instead (README, "QuickBooks webhooks").
 */
import type { Core } from '../core';
import { WEBHOOK_PATH } from './router';

export async function registerLocalWebhook(core: Core, gatewayBaseUrl: string): Promise<string | undefined> {
  const { quickbooks } = core.config;
  if (quickbooks.mode !== 'local') return undefined;
  const webhookUrl = `${gatewayBaseUrl.replace(/\/+$/, '')}${WEBHOOK_PATH}`;
  const patch = { webhookUrl, verifierToken: quickbooks.webhookVerifierToken };
  try {
    if (core.sandbox) {
      core.sandbox.updateApp(quickbooks.clientId, patch);
    } else if (quickbooks.sandboxUrl) {
      const response = await fetch(
        `${quickbooks.sandboxUrl}/_sandbox/apps/${encodeURIComponent(quickbooks.clientId)}`,
        { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) },
      );
      if (!response.ok) throw new Error(`the emulator answered ${response.status}`);
    } else {
      return undefined;
    }
    core.logger.info({ webhookUrl }, 'QuickBooks emulator sends its webhooks here');
    return webhookUrl;
  } catch (error) {
    core.logger.warn(
      { err: error, webhookUrl },
      'could not register the webhook URL with the QuickBooks emulator',
    );
    return undefined;
  }
}
