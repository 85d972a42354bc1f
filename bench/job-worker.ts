/**
 * A gateway worker in a process of its own, as in README's scale-out topology: it runs the jobs it finds in the
 * database (polling every 20 ms, as the benches' in-process workers do) until told to stop. bench/webhooks runs its
 * inbound sync here so that the intake's event loop is the intake's alone.
 *
 * Messages with the parent (IPC): `{type: 'start', databaseUrl, dataDir, emulatorUrl, env}` answered `{type: 'ready'}`;
 * `{type: 'stats'}` answered `{type: 'stats', inboundCalls, cpuMs}`; `{type: 'stop'}` closes and disconnects.
 */
import 'reflect-metadata';
import { createCore, type Core } from '../src/core';
import { createLogger } from '../src/logger';
import { benchConfig } from './support';

export type JobWorkerMessage =
  | { type: 'start'; databaseUrl: string; dataDir: string; emulatorUrl: string; env?: Record<string, string> }
  | { type: 'stats' }
  | { type: 'stop' };

let core: Core | undefined;

process.on('message', (message: JobWorkerMessage) => {
  void handle(message).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});

async function handle(message: JobWorkerMessage): Promise<void> {
  if (message.type === 'start') {
    core = await createCore(
      benchConfig(message.databaseUrl, message.dataDir, message.emulatorUrl, message.env),
      createLogger((process.env.BENCH_LOG_LEVEL as 'info' | undefined) ?? 'silent'),
      { runWorker: true, collectDefaultMetrics: false, worker: { pollMs: 20 } },
    );
    process.send!({ type: 'ready' });
  } else if (message.type === 'stats') {
    const cpu = process.cpuUsage();
    process.send!({
      type: 'stats',
      inboundCalls: core!.services.inbound.calls,
      cpuMs: (cpu.user + cpu.system) / 1000,
    });
  } else {
    await core?.close();
    process.disconnect();
  }
}
