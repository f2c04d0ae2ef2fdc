// The web app's production bundle and its time to first render on the local stack. Builds the app,
// prints every file of the build (raw and gzip bytes), then loads the sign-in screen in headless
// Chromium from the BFF (cold cache, and warm: immutable assets from the cache, index.html revalidated)
// and, as the peer in the same run, from Vite's own static server (`vite preview`) serving the same
// build. Reports first contentful paint and "app rendered" (the sign-in form in the DOM), p50/p95.
//   eval "$(bash deploy/local/infra.sh env)"; npx tsx bench/web/web-app.bench.ts   (BENCH_RUNS=15)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

import { bffConfigSchema, loadConfig } from '@hearth/config';
import { createLogger } from '@hearth/telemetry';
import { freePort, infraEnv } from '@hearth/testing';

import { chromium, type Browser, type BrowserContext } from 'playwright-core';

import { createBffApp } from '../../apps/experience/bff/src/app/bff-app.factory';

const ROOT = resolve(__dirname, '..', '..');
const BUILD = join(ROOT, 'dist', 'apps', 'experience', 'web');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 10);
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

// In-page code as strings (this file is type-checked for Node, without the DOM's types).
/** Records when the sign-in form enters the DOM. */
const RECORD_RENDER = `new MutationObserver((_, observer) => {
  if (document.querySelector('#root input')) { window.__rendered = performance.now(); observer.disconnect(); }
}).observe(document, { childList: true, subtree: true });`;
/** First contentful paint and the render time, read once a frame has passed. */
const IN_PAGE_SAMPLE = `new Promise((resolve) => requestAnimationFrame(() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  resolve({ fcp: paint ? paint.startTime : NaN, rendered: window.__rendered ?? NaN });
}))`;

interface Sample {
  fcp: number;
  rendered: number;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

function bundleTable(): void {
  const rows = files(BUILD).map((path) => {
    const body = readFileSync(path);
    return { file: relative(BUILD, path), raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
  });
  const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip }), { raw: 0, gzip: 0 });
  console.log('\nProduction bundle (dist/apps/experience/web)\n');
  console.log('| file | bytes | gzip bytes |\n|---|---:|---:|');
  for (const r of rows)
    console.log(`| ${r.file} | ${r.raw.toLocaleString('en-US')} | ${r.gzip.toLocaleString('en-US')} |`);
  console.log(
    `| **total** | **${total.raw.toLocaleString('en-US')}** | **${total.gzip.toLocaleString('en-US')}** |`,
  );
}

/** One page load; `rendered` is when the sign-in form entered the DOM (recorded in the page itself). */
async function load(context: BrowserContext, url: string): Promise<Sample> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('#root input');
  const sample = (await page.evaluate(IN_PAGE_SAMPLE)) as Sample;
  await page.close();
  return sample;
}

async function measure(browser: Browser, url: string, warm: boolean): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext();
    await context.addInitScript({ content: RECORD_RENDER });
    if (warm) await load(context, url); // fills the cache
    samples.push(await load(context, url));
    await context.close();
  }
  return samples;
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function main(): Promise<void> {
  const build = spawnSync('npx', ['--no-install', 'nx', 'run', 'web:build', '--skip-nx-cache'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
  if (build.status !== 0) throw new Error('web build failed');
  bundleTable();

  const infra = infraEnv();
  const bff = await createBffApp(
    loadConfig(bffConfigSchema, {
      DATABASE_URL: infra.databaseUrl,
      REDIS_URL: infra.redisUrl,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      ORCHESTRATOR_ADDRESS: `127.0.0.1:${await freePort()}`,
      MODEL_GATEWAY_ADDRESS: `127.0.0.1:${await freePort()}`,
      WEB_APP_DIR: BUILD,
    }),
    { logger: createLogger({ service: 'bff', level: 'error' }) },
  );
  const { preview } = await import('vite');
  const vite = await preview({
    configFile: join(ROOT, 'apps', 'experience', 'web', 'vite.config.mts'),
    preview: { host: '127.0.0.1', port: await freePort(), strictPort: true },
    logLevel: 'silent',
  });
  const viteUrl = vite.resolvedUrls?.local[0] ?? '';
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    const targets = [
      { name: 'vite preview (peer), cold cache', url: viteUrl, warm: false },
      { name: 'BFF, cold cache', url: `${bff.url}/`, warm: false },
      { name: 'BFF, warm cache', url: `${bff.url}/`, warm: true },
    ];
    const results: { name: string; samples: Sample[] }[] = [];
    for (const t of targets) results.push({ name: t.name, samples: await measure(browser, t.url, t.warm) });
    const peer = pct(results[0]?.samples.map((s) => s.rendered) ?? [], 50);
    console.log(`\nTime to first render of the sign-in screen, headless Chromium, ${RUNS} loads each (ms)\n`);
    console.log('| served by | FCP p50 | FCP p95 | rendered p50 | rendered p95 | rendered p50 vs peer |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const r of results) {
      const fcp = r.samples.map((s) => s.fcp);
      const rendered = r.samples.map((s) => s.rendered);
      console.log(
        `| ${r.name} | ${pct(fcp, 50).toFixed(0)} | ${pct(fcp, 95).toFixed(0)} | ${pct(rendered, 50).toFixed(0)} | ${pct(
          rendered,
          95,
        ).toFixed(0)} | ${(pct(rendered, 50) / peer).toFixed(2)} |`,
      );
    }
  } finally {
    await browser.close();
    await new Promise((r) => vite.httpServer.close(r));
    await bff.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
