/* eslint-disable @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * `npm run bench` (through scripts/bench/bench.mjs, which builds the package and compiles this file).
 *
 * Runs the same edit jobs three ways inside the real n8n 2.41.1 of the e2e suite (our packed package
 * installed), against the fake Ace Data Cloud API with a fixed job duration, and prints a table:
 *   ours      Webhook → Split Out → Midjourney Edits (poll mode)             ours.workflow.json
 *   callback  the same in "Wait for Callback" mode: the execution waits, the fake calls each
 *             task's resume URL back                                        ours.workflow.json
 *   baseline  Webhook → Split Out → HTTP Request (submit, async) → Wait →
 *             HTTP Request (retrieve per item) → IF response.success exists
 *             → back to Wait / Done                                        baseline.workflow.json
 * for N input items each, plus (issue 5) the memory of downloading a batch as four split files per
 * result under n8n's binary data modes. Every configuration gets a fresh n8n process, so its peak
 * RSS belongs to that run alone. This is a measurement, not a test: nothing fails on a slow run;
 * a run fails only when its jobs did not all come out (then its figures would mean nothing).
 */
import { spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { DEFAULT_MAX_CONCURRENCY, DEFAULT_START_CONCURRENCY } from '../../nodes/shared/pacing';
import { startFakeAceDataCloud, type FakeAceDataCloud, type RequestLogEntry } from '../../test/fake-api/fakeAceDataCloud';
import {
	fillFixture,
	N8nInstance,
	type N8nExecution,
	type WorkflowFixture,
} from '../../test/e2e/n8nInstance';
import { packPackage, provisionN8n, repoRoot, type ProvisionedN8n } from '../../test/e2e/packageUnderTest';
import { startImageServer, type ImageServer } from './imageServer';
import {
	countApiRequests,
	markdownTable,
	mebibytes,
	procStatusKb,
	ratio,
	resetPeakRss,
	RssSampler,
	seconds,
	type RequestCounts,
} from './measure';

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/** Values of N8N_DEFAULT_BINARY_DATA_MODE to compare; 'unset' is n8n's own default. */
export type BinaryModeChoice = 'unset' | 'filesystem' | 'default';
const BINARY_MODE_CHOICES: readonly BinaryModeChoice[] = ['unset', 'filesystem', 'default'];

export interface BenchOptions {
	/** How long every fake job runs before it finishes. */
	jobSeconds: number;
	/** Poll interval of both workflows (our node's option; the baseline's Wait node). */
	pollSeconds: number;
	/** Input item counts of the comparison. */
	sizes: number[];
	compare: boolean;
	download: boolean;
	/** Results downloaded as four split files each in the memory run. */
	downloadItems: number;
	/** Job duration of the download runs (their figures are about memory, not waiting). */
	downloadJobSeconds: number;
	/** Size of every result image the download runs fetch. */
	imageKb: number;
	binaryModes: BinaryModeChoice[];
	/** Our node's Options → Concurrency (submissions at once); undefined keeps the node's default (DEFAULT_START_CONCURRENCY). */
	concurrency?: number;
	/** Our node's Options → Max Concurrency (the adaptive submission's bound); undefined keeps the default (DEFAULT_MAX_CONCURRENCY). */
	maxConcurrency?: number;
	/** Delays before every fake API answer, like a real network and service (0: answers at once); one comparison per value. */
	apiLatenciesMs: number[];
	/**
	 * The 429 storm: the fake accepts only `perSecond` submissions per second; `items` jobs run by our
	 * node once adaptively (default Concurrency and Max Concurrency) and once per fixed concurrency.
	 */
	storm?: { perSecond: number; items: number; fixed: number[] };
	/** Keep each run's n8n user folder (with its log and database). */
	keep: boolean;
	/** Also write every figure as JSON here. */
	jsonFile?: string;
	/** Also write each run's API requests (ms after the webhook call, path, status) here, one file per run. */
	requestLogDir?: string;
	/** Which workflows the comparison runs. */
	kinds: WorkflowKind[];
	/** Extra environment for every n8n the bench starts (to see what an n8n setting changes). */
	n8nEnv: Record<string, string>;
}

export const USAGE = `usage: npm run bench [-- options]
  --job-seconds N            duration of every fake Midjourney job (default 20)
  --poll-seconds N           poll interval of both workflows (default 5)
  --sizes 1,10,50            input item counts to compare (default 1,10,50)
  --only compare|download    run one part only (default: both)
  --download-items N         results downloaded as 4 split files each in the memory run (default 20)
  --download-job-seconds N   job duration of the memory runs (default 5)
  --image-kb N               size of each downloaded result image (default 1024)
  --concurrency N            our node's Concurrency option, 1-200 (default: the node's default, ${DEFAULT_START_CONCURRENCY})
  --max-concurrency N        our node's Max Concurrency option, 1-200 (default: the node's default, ${DEFAULT_MAX_CONCURRENCY})
  --api-latency-ms LIST      delays before every API answer, one comparison each (default 0: at once)
  --storm-per-second K       add the 429-storm rows: the fake accepts only K submissions a second
  --storm-items N            items of the storm rows (default 100)
  --storm-fixed LIST         fixed concurrencies the storm rows compare the adaptive one with (default 1,2,5,10,20)
  --binary-modes LIST        N8N_DEFAULT_BINARY_DATA_MODE values for the memory runs, from
                             unset (n8n's default), filesystem, default (default: unset,filesystem,default)
  --kinds LIST               workflows to compare, from ours, callback, baseline (default: all three)
  --n8n-env KEY=VALUE        extra environment for every n8n started (repeatable)
  --json FILE                also write all figures as JSON
  --request-log DIR          also write each run's API requests (ms after the webhook call, path, status) as DIR/<run>.jsonl
  --keep                     keep each run's n8n user folder (log, database)
Every configuration starts a fresh n8n (about 20-40 s each); the defaults take about 8-10 minutes on 2 cores.`;

function positiveInteger(flag: string, value: string | undefined, max = 100_000): number {
	if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
		throw new Error(`${flag} needs a whole number from 1 to ${max}\n${USAGE}`);
	}
	return Number(value);
}

export function parseArguments(argv: string[]): BenchOptions | 'help' {
	const options: BenchOptions = {
		jobSeconds: 20,
		pollSeconds: 5,
		sizes: [1, 10, 50],
		compare: true,
		download: true,
		downloadItems: 20,
		downloadJobSeconds: 5,
		imageKb: 1024,
		binaryModes: [...BINARY_MODE_CHOICES],
		apiLatenciesMs: [0],
		keep: false,
		kinds: [...WORKFLOW_KINDS],
		n8nEnv: {},
	};
	for (let index = 0; index < argv.length; index++) {
		const [flag, inline] = argv[index].split(/=(.*)/s, 2);
		const value = () => inline ?? argv[++index];
		switch (flag) {
			case '--job-seconds':
				options.jobSeconds = positiveInteger(flag, value(), 3600);
				break;
			case '--poll-seconds':
				// Our node takes 1-300 s; the baseline's Wait stays in memory only under 65 s.
				options.pollSeconds = positiveInteger(flag, value(), 60);
				break;
			case '--sizes': {
				const list = value();
				options.sizes = (list ?? '').split(',').map((size) => positiveInteger(flag, size.trim(), 1000));
				break;
			}
			case '--only': {
				const part = value();
				if (part !== 'compare' && part !== 'download') throw new Error(`--only takes compare or download\n${USAGE}`);
				options.compare = part === 'compare';
				options.download = part === 'download';
				break;
			}
			case '--download-items':
				options.downloadItems = positiveInteger(flag, value(), 200);
				break;
			case '--download-job-seconds':
				options.downloadJobSeconds = positiveInteger(flag, value(), 3600);
				break;
			case '--image-kb':
				options.imageKb = positiveInteger(flag, value(), 20 * 1024);
				break;
			case '--concurrency':
				options.concurrency = positiveInteger(flag, value(), 200);
				break;
			case '--max-concurrency':
				options.maxConcurrency = positiveInteger(flag, value(), 200);
				break;
			case '--api-latency-ms':
				options.apiLatenciesMs = (value() ?? '')
					.split(',')
					.map((latency) => (latency.trim() === '0' ? 0 : positiveInteger(flag, latency.trim(), 60_000)));
				break;
			case '--storm-per-second':
				options.storm = { items: 100, fixed: [1, 2, 5, 10, 20], ...options.storm, perSecond: positiveInteger(flag, value(), 1000) };
				break;
			case '--storm-items':
				options.storm = { perSecond: 10, fixed: [1, 2, 5, 10, 20], ...options.storm, items: positiveInteger(flag, value(), 1000) };
				break;
			case '--storm-fixed':
				options.storm = {
					perSecond: 10,
					items: 100,
					...options.storm,
					fixed: (value() ?? '').split(',').map((fixed) => positiveInteger(flag, fixed.trim(), 200)),
				};
				break;
			case '--binary-modes': {
				const modes = (value() ?? '').split(',').map((mode) => mode.trim());
				const unknown = modes.filter((mode) => !(BINARY_MODE_CHOICES as readonly string[]).includes(mode));
				if (modes.length === 0 || unknown.length > 0) {
					throw new Error(`--binary-modes takes a list of ${BINARY_MODE_CHOICES.join(', ')}\n${USAGE}`);
				}
				options.binaryModes = modes as BinaryModeChoice[];
				break;
			}
			case '--json': {
				const file = value();
				if (!file) throw new Error(`--json needs a file name\n${USAGE}`);
				options.jsonFile = path.resolve(file);
				break;
			}
			case '--request-log': {
				const dir = value();
				if (!dir) throw new Error(`--request-log needs a folder name\n${USAGE}`);
				options.requestLogDir = path.resolve(dir);
				break;
			}
			case '--keep':
				options.keep = true;
				break;
			case '--kinds': {
				const kinds = (value() ?? '').split(',').map((kind) => kind.trim());
				const unknown = kinds.filter((kind) => !(WORKFLOW_KINDS as readonly string[]).includes(kind));
				if (kinds.length === 0 || unknown.length > 0) throw new Error(`--kinds takes a list of ${WORKFLOW_KINDS.join(', ')}\n${USAGE}`);
				options.kinds = kinds as WorkflowKind[];
				break;
			}
			case '--n8n-env': {
				const match = /^([A-Z][A-Z0-9_]*)=(.*)$/s.exec(value() ?? '');
				if (!match) throw new Error(`--n8n-env takes KEY=VALUE\n${USAGE}`);
				options.n8nEnv[match[1]] = match[2];
				break;
			}
			case '-h':
			case '--help':
				return 'help';
			default:
				throw new Error(`unknown argument "${argv[index]}"\n${USAGE}`);
		}
	}
	return options;
}

// ---------------------------------------------------------------------------------------------
// One run
// ---------------------------------------------------------------------------------------------

const WORKFLOW_KINDS = ['ours', 'callback', 'baseline'] as const;
type WorkflowKind = (typeof WORKFLOW_KINDS)[number];

/** Both of our node's modes run the same workflow file and produce the same output. */
const usesOurNode = (kind: WorkflowKind) => kind !== 'baseline';

interface RunConfig {
	label: string;
	kind: WorkflowKind;
	items: number;
	jobMs: number;
	pollSeconds: number;
	apiLatencyMs: number;
	concurrency?: number;
	maxConcurrency?: number;
	/** The 429 storm: the fake accepts only this many submissions a second. */
	submitsPerSecond?: number;
	/** 'split' for the memory runs. */
	downloadImages: 'none' | 'split';
	binaryMode?: BinaryModeChoice;
}

export interface RunResult {
	config: RunConfig;
	ok: boolean;
	problem?: string;
	executionId?: string;
	/** stoppedAt - startedAt of the n8n execution. */
	executionMs?: number;
	/** From sending the webhook request to the execution's stoppedAt. */
	endToEndMs?: number;
	requests?: RequestCounts;
	/** Result images fetched from the CDN stand-in. */
	downloads?: number;
	/** Items the workflow put out at its end. */
	outputItems?: number;
	/** Where n8n kept the downloaded files: the binary data id's mode, or memory (base64 in the item). */
	binaryStorage?: string;
	/** Files and bytes in n8n's binary data store (`<user folder>/.n8n/storage`) after the run. */
	storedFiles?: number;
	storedBytes?: number;
	/** n8n main process: RSS just before the webhook call (after a settle pause). */
	idleRssKb?: number;
	/** n8n main process: VmHWM after the run, reset to the current RSS just before the webhook call. */
	peakRssKb?: number;
	peakMethod?: 'VmHWM' | 'sampled VmRSS';
	/** n8n main process: highest VmRSS seen by the 200 ms sampler. */
	sampledPeakRssKb?: number;
	/** n8n's child processes (task runner): highest summed VmRSS seen by the sampler; 0 = none. */
	childrenPeakRssKb?: number;
	childPids?: number[];
	/** Everything this configuration took, n8n start and stop included. */
	runSeconds?: number;
}

const TOKEN = 'bench-token';
const SETTLE_MS = 3000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function loadBenchFixture(kind: 'ours' | 'baseline', values: Record<string, string>): WorkflowFixture {
	const file = path.join(repoRoot, 'scripts', 'bench', `${kind}.workflow.json`);
	return fillFixture(JSON.parse(fs.readFileSync(file, 'utf8')) as WorkflowFixture, values);
}

function nodeNamed(fixture: WorkflowFixture, name: string): { parameters: Record<string, unknown> } {
	const node = fixture.nodes.find((candidate) => candidate.name === name);
	if (!node) throw new Error(`${fixture.name}: no node "${name}"`);
	return node as { parameters: Record<string, unknown> };
}

/** The workflow of a configuration; numbers are set here because fixture tokens fill strings only. */
function workflowFor(config: RunConfig, credential: { id: string; name: string }, apiUrl: string, webhookPath: string): WorkflowFixture {
	const common = { WEBHOOK_ID: randomUUID(), WEBHOOK_PATH: webhookPath, CREDENTIAL_ID: credential.id, CREDENTIAL_NAME: credential.name };
	if (usesOurNode(config.kind)) {
		const fixture = loadBenchFixture('ours', { ...common, OUTPUT: config.downloadImages === 'split' ? 'split' : 'links' });
		const edit = nodeNamed(fixture, 'Midjourney Edits').parameters;
		const options = edit.options as Record<string, unknown>;
		options.pollIntervalSeconds = config.pollSeconds;
		if (config.concurrency !== undefined) options.concurrency = config.concurrency;
		if (config.maxConcurrency !== undefined) options.maxConcurrency = config.maxConcurrency;
		if (config.kind === 'callback') {
			edit.waitMode = 'callback';
			// n8n listens on 127.0.0.1 here; the fake API calls it back on the same machine.
			options.allowPrivateCallbackUrl = true;
		}
		return fixture;
	}
	const fixture = loadBenchFixture('baseline', { ...common, WAIT_WEBHOOK_ID: randomUUID(), API_URL: apiUrl });
	nodeNamed(fixture, 'Wait').parameters.amount = config.pollSeconds;
	return fixture;
}

type RunItem = { json: Record<string, unknown>; binary?: Record<string, { id?: string; data?: string; bytes?: number }> };

function allRunItems(execution: N8nExecution, nodeName: string): RunItem[] {
	const runs = execution.data?.resultData.runData[nodeName] ?? [];
	return runs.flatMap((run) => (run.data?.main?.[0] ?? []) as unknown as RunItem[]);
}

/** Files and bytes under a folder (n8n's binary data store), recursively; zero when it is missing. */
function filesUnder(folder: string): { count: number; bytes: number } {
	let count = 0;
	let bytes = 0;
	if (!fs.existsSync(folder)) return { count, bytes };
	for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
		const full = path.join(folder, entry.name);
		if (entry.isDirectory()) {
			const inner = filesUnder(full);
			count += inner.count;
			bytes += inner.bytes;
		} else if (entry.isFile()) {
			count++;
			bytes += fs.statSync(full).size;
		}
	}
	return { count, bytes };
}

/**
 * Checks that every job came out finished; returns the problem, or undefined. `execution` carries
 * data except for in-memory binary runs (see runConfiguration), which are checked by what reached
 * the CDN stand-in and the disk instead.
 */
function checkOutput(config: RunConfig, execution: N8nExecution, result: RunResult): string | undefined {
	if (execution.status !== 'success') {
		const error = execution.data?.resultData.error;
		return `execution ${execution.id} ended "${execution.status}"${error?.message ? `: ${error.message}` : ''}`;
	}
	const expected = config.downloadImages === 'split' ? config.items * 4 : config.items;
	if (!execution.data) {
		if (result.downloads !== expected) return `expected ${expected} image downloads, saw ${result.downloads}`;
		if (result.storedFiles !== 0) return `expected no files on disk, found ${result.storedFiles}`;
		result.binaryStorage = 'memory (nothing on disk)';
		return undefined;
	}
	const items = allRunItems(execution, usesOurNode(config.kind) ? 'Midjourney Edits' : 'Done');
	result.outputItems = items.length;
	if (items.length !== expected) return `expected ${expected} output items, got ${items.length}`;
	const succeeded = (item: RunItem) =>
		usesOurNode(config.kind) ? item.json.success === true : (item.json.response as { success?: unknown } | undefined)?.success === true;
	const failures = items.filter((item) => !succeeded(item)).length;
	if (failures > 0) return `${failures} of ${items.length} output items are not successful results`;
	if (config.downloadImages === 'split') {
		const files = items.map((item) => item.binary?.data);
		if (files.some((file) => !file)) return 'some split items carry no file';
		const storages = new Set(files.map((file) => (file!.id ? file!.id.split(':')[0] : 'memory (base64 in the item)')));
		// filesystem-v2 keeps a small metadata file beside each file: report bytes, not file counts.
		result.binaryStorage = `${[...storages].join(', ')} (${mebibytes((result.storedBytes ?? 0) / 1024)} MB on disk)`;
	}
	return undefined;
}

async function waitUntilFinished(n8n: N8nInstance, workflowId: string, timeoutMs: number): Promise<N8nExecution> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		// Without data: polling must cost n8n as little as possible while it is being measured.
		const listed = await n8n.listExecutions({ workflowId, limit: 5 });
		const finished = listed.find((execution) => !['new', 'running', 'waiting'].includes(execution.status));
		if (finished) return finished;
		if (Date.now() > deadline) {
			throw new Error(`no finished execution of workflow ${workflowId} within ${Math.round(timeoutMs / 1000)} s (seen: ${listed.map((e) => e.status).join(', ') || 'none'})`);
		}
		await sleep(250);
	}
}

interface BenchContext {
	fake: FakeAceDataCloud;
	images: ImageServer;
	keep: boolean;
	requestLogDir?: string;
	/** A user folder whose database is migrated, with the owner and our package installed: copied for every run. */
	templateFolder: string;
	n8nEnv: Record<string, string>;
}

/**
 * Starts n8n once in a new folder and stops it: the database migrations (a large part of a first
 * start) and the owner account are then done, and every run starts from a copy of this folder.
 */
async function prepareTemplateFolder(tarball: string): Promise<string> {
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-bench-template-'));
	say(`preparing a migrated n8n user folder to copy for every run (${folder})`);
	const n8n = await N8nInstance.start({ tarball, userFolder: folder, log: () => undefined });
	await n8n.stop();
	return folder;
}

/** One line per API request of a run, to see when refusals came (e.g. the first burst or herds after pauses). */
function writeRequestLog(dir: string, label: string, requests: readonly RequestLogEntry[], sentAt: number): void {
	fs.mkdirSync(dir, { recursive: true });
	const lines = requests
		.filter((entry) => entry.path.startsWith('/midjourney/') || entry.path.startsWith('/api/'))
		.map((entry) => JSON.stringify({ ms: entry.at - sentAt, path: entry.path, status: entry.status }));
	const file = path.join(dir, `${label.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}.jsonl`);
	fs.writeFileSync(file, `${lines.join('\n')}\n`);
	say(`${label}: request log in ${file}`);
}

async function runConfiguration(context: BenchContext, config: RunConfig): Promise<RunResult> {
	const { fake, images } = context;
	const result: RunResult = { config, ok: false };
	const began = Date.now();
	say(`${config.label}: starting a fresh n8n`);
	fake.reset();
	fake.faults.jobDurationMs = config.jobMs;
	fake.faults.responseDelayMs = config.apiLatencyMs;
	fake.faults.submitsPerSecond = config.submitsPerSecond ?? 0;
	images.resetCount();

	const env: Record<string, string> = { ...context.n8nEnv };
	if (config.binaryMode && config.binaryMode !== 'unset') env.N8N_DEFAULT_BINARY_DATA_MODE = config.binaryMode;
	let n8n: N8nInstance | undefined;
	let sampler: RssSampler | undefined;
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-bench-run-'));
	fs.cpSync(context.templateFolder, userFolder, { recursive: true });
	try {
		// The folder is this run's copy: the bench removes it (or keeps it with --keep), not N8nInstance.
		const log = (line: string) => (line.includes('kept user folder') ? undefined : say(line));
		// The copied folder already holds the package (installed from the tarball into the template).
		n8n = await N8nInstance.start({ installPackage: false, userFolder, env, log });
		const pid = n8n.pid;
		if (pid === undefined) throw new Error('n8n has no pid');

		const credential =
			usesOurNode(config.kind)
				? await n8n.createCredential({
						name: 'Ace Data Cloud (bench)',
						type: 'aceDataCloudApi',
						data: { apiToken: TOKEN, baseUrl: fake.url, platformBaseUrl: fake.url },
					})
				: await n8n.createCredential({
						name: 'Ace Data Cloud bearer header (bench)',
						type: 'httpHeaderAuth',
						data: { name: 'Authorization', value: `Bearer ${TOKEN}` },
					});
		const webhookPath = `bench-${config.kind}-${randomUUID().slice(0, 8)}`;
		const workflow = await n8n.deployWorkflow(workflowFor(config, credential, fake.url, webhookPath));

		// Let activation and start-up work finish so "idle" means idle.
		await sleep(SETTLE_MS);
		result.idleRssKb = procStatusKb(pid, 'VmRSS');
		const hwmReset = resetPeakRss(pid);
		result.peakMethod = hwmReset ? 'VmHWM' : 'sampled VmRSS';
		sampler = new RssSampler(pid, 200);
		sampler.start();

		const jobs = Array.from({ length: config.items }, (_, index) => ({
			imageUrl: `https://cdn.example.com/bench/source-${index + 1}.png`,
			prompt: `bench edit ${index + 1}: the same scene as a watercolor`,
		}));
		const sentAt = Date.now();
		const answer = await n8n.callWebhook(webhookPath, { jobs });
		if (answer.status !== 200) throw new Error(`the webhook answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);

		const timeoutMs = config.jobMs + 180_000 + config.items * 2000;
		const finished = await waitUntilFinished(n8n, workflow.id, timeoutMs);
		// Read the peak before fetching the execution's data: serving it is not part of the run.
		const samples = sampler.stop();
		sampler = undefined;
		const hwm = procStatusKb(pid, 'VmHWM');
		result.sampledPeakRssKb = samples.mainPeakKb;
		result.childrenPeakRssKb = samples.childrenPeakKb;
		result.childPids = samples.childPids;
		result.peakRssKb = hwmReset ? hwm : samples.mainPeakKb;

		result.executionId = finished.id;
		result.requests = countApiRequests(fake.requests, sentAt, (config.pollSeconds * 1000) / 2);
		if (context.requestLogDir) writeRequestLog(context.requestLogDir, config.label, fake.requests, sentAt);
		result.downloads = images.downloads();
		const stored = filesUnder(path.join(userFolder, '.n8n', 'storage'));
		result.storedFiles = stored.count;
		result.storedBytes = stored.bytes;
		// Files kept in memory travel as base64 inside the execution data (over 100 MB for the
		// download run): fetching that takes minutes on a busy machine and proves nothing more
		// than 80 downloads, a successful execution and an empty binary store do.
		const filesInMemory = config.downloadImages === 'split' && stored.count === 0;
		const execution = filesInMemory ? finished : await n8n.getExecution(finished.id, true);
		const startedAt = Date.parse(execution.startedAt);
		const stoppedAt = execution.stoppedAt ? Date.parse(execution.stoppedAt) : NaN;
		result.executionMs = stoppedAt - startedAt;
		result.endToEndMs = stoppedAt - sentAt;
		const problem = checkOutput(config, execution, result);
		if (problem) throw new Error(problem);
		// Every task the fake created was billed: more tasks than items means a duplicate submission.
		if (fake.tasks.size !== config.items) throw new Error(`${fake.tasks.size} tasks created for ${config.items} items`);
		result.ok = true;
		say(
			`${config.label}: ${seconds(result.executionMs)} s, ${result.requests.total} API requests, ` +
				`peak RSS ${mebibytes(result.peakRssKb)} MB (idle ${mebibytes(result.idleRssKb)} MB)`,
		);
	} catch (error) {
		result.problem = (error as Error).message;
		say(`${config.label}: FAILED: ${result.problem}${n8n ? ` (n8n log: ${n8n.logFile}; kept with --keep)` : ''}`);
	} finally {
		sampler?.stop();
		await n8n?.stop();
		if (context.keep) say(`${config.label}: kept ${userFolder}`);
		else fs.rmSync(userFolder, { recursive: true, force: true });
		result.runSeconds = (Date.now() - began) / 1000;
	}
	return result;
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

function perTask(count: number | undefined, items: number): string {
	return count === undefined ? 'n/a' : (count / items).toFixed(2);
}

function maxOf(values: number[] | undefined): number | undefined {
	return values && values.length > 0 ? Math.max(...values) : undefined;
}

const KIND_LABELS: Record<WorkflowKind, string> = { ours: 'ours (poll)', callback: 'ours (callback)', baseline: 'built-in' };

/** How our node submitted: "5→50" (adaptive from Concurrency to Max Concurrency) or "fixed 10". */
function concurrencyLabel(config: RunConfig): string {
	if (!usesOurNode(config.kind)) return 'all at once';
	const start = config.concurrency ?? DEFAULT_START_CONCURRENCY;
	const max = Math.max(start, config.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY);
	return start === max ? `fixed ${start}` : `${start}→${max}`;
}

function comparisonTable(results: RunResult[]): string {
	const header = [
		'workflow',
		'N',
		'latency ms',
		'submissions',
		'exec wall s',
		'wall / job',
		'end-to-end s',
		'submit span s',
		'last submit s',
		'429s',
		'submits/task',
		'lookups/task',
		'requests/task',
		'poll rounds',
		'max lookups/round',
		'n8n peak RSS MB',
		'Δ over idle MB',
	];
	const rows = results.map((result) => {
		const { config, requests } = result;
		const label = `${KIND_LABELS[config.kind]}${config.submitsPerSecond ? `, storm ${config.submitsPerSecond}/s` : ''}`;
		const head = [label, String(config.items), String(config.apiLatencyMs), concurrencyLabel(config)];
		if (!result.ok) return [...head, `FAILED: ${result.problem ?? ''}`.slice(0, 60), ...header.slice(5).map(() => '')];
		return [
			...head,
			seconds(result.executionMs),
			result.executionMs === undefined ? 'n/a' : (result.executionMs / config.jobMs).toFixed(2),
			seconds(result.endToEndMs),
			seconds(requests?.submitSpanMs, 2),
			seconds(requests?.lastSubmitMs, 2),
			String(requests?.rateLimited ?? 'n/a'),
			perTask(requests?.submits, config.items),
			perTask(requests?.lookups, config.items),
			perTask(requests?.total, config.items),
			String(requests?.rounds.length ?? 'n/a'),
			String(maxOf(requests?.rounds) ?? 0),
			mebibytes(result.peakRssKb),
			mebibytes(result.peakRssKb !== undefined && result.idleRssKb !== undefined ? result.peakRssKb - result.idleRssKb : undefined),
		];
	});
	return markdownTable(header, rows);
}

const findRun = (results: RunResult[], kind: WorkflowKind, items: number, latency: number) =>
	results.find((result) => result.config.kind === kind && result.config.items === items && result.config.apiLatencyMs === latency && !result.config.submitsPerSecond && result.ok);

/** Side by side in one run: ours against the built-in workflow for each N and latency, and the issue's goals. */
function goalsReport(results: RunResult[], options: BenchOptions): string {
	const rows: string[][] = [];
	const verdicts: string[] = [];
	for (const latency of options.apiLatenciesMs) {
		for (const size of options.sizes) {
			const ours = findRun(results, 'ours', size, latency);
			const callback = findRun(results, 'callback', size, latency);
			const base = findRun(results, 'baseline', size, latency);
			rows.push([
				String(size),
				String(latency),
				ratio(ours?.executionMs, base?.executionMs),
				ratio(callback?.executionMs, base?.executionMs),
				ours?.executionMs === undefined ? 'n/a' : (ours.executionMs / ours.config.jobMs).toFixed(2),
				ratio(ours?.requests?.total, base?.requests?.total),
				ratio(ours?.peakRssKb, base?.peakRssKb),
			]);
			if (ours?.executionMs !== undefined && base?.executionMs !== undefined) {
				verdicts.push(`wall(ours, poll) ≤ wall(built-in) at N = ${size}, ${latency} ms: ${ours.executionMs <= base.executionMs ? 'met' : 'MISSED'} (${ratio(ours.executionMs, base.executionMs)})`);
			}
			if (ours?.executionMs !== undefined && size <= 100 && latency === 0) {
				const perJob = ours.executionMs / ours.config.jobMs;
				verdicts.push(`wall(ours, poll) ≤ 1.15 × job at N = ${size}, 0 ms: ${perJob <= 1.15 ? 'met' : 'MISSED'} (${perJob.toFixed(2)})`);
			}
			if (ours?.requests && size >= 50) {
				const perTaskRequests = ours.requests.total / size;
				verdicts.push(`requests per task ≤ 1.1 at N = ${size}, ${latency} ms: ${perTaskRequests <= 1.1 ? 'met' : 'MISSED'} (${perTaskRequests.toFixed(2)})`);
			}
		}
	}
	const storm = results.filter((result) => result.config.submitsPerSecond);
	if (storm.length > 0) {
		const adaptive = storm.find((result) => concurrencyLabel(result.config).includes('→'));
		const fixed = storm.filter((result) => result !== adaptive && result.ok && result.executionMs !== undefined);
		const best = fixed.sort((a, b) => a.executionMs! - b.executionMs!)[0];
		verdicts.push(
			`429 storm: ${storm.every((result) => result.ok) ? 'every run put out every item once, one task per item (no loss, no duplicate)' : 'SOME RUN FAILED (see the table)'}`,
		);
		if (adaptive?.ok && best) {
			const factor = adaptive.executionMs! / best.executionMs!;
			verdicts.push(`429 storm: adaptive within 1.2 × the best fixed concurrency (${concurrencyLabel(best.config)}): ${factor <= 1.2 ? 'met' : 'MISSED'} (${factor.toFixed(2)})`);
		}
	}
	return [
		markdownTable(['N', 'latency ms', 'wall ours (poll) / built-in', 'wall ours (callback) / built-in', 'wall ours (poll) / job', 'requests ours (poll) / built-in', 'peak RSS ours (poll) / built-in'], rows),
		'',
		'Goals (issue 16):',
		...verdicts.map((line) => `- ${line}`),
	].join('\n');
}

function downloadTable(results: RunResult[], imageBytes: number): string {
	const rows = results.map((result) => {
		const { config } = result;
		const mode = config.binaryMode === 'unset' ? '(unset: n8n default)' : `${config.binaryMode}`;
		if (!result.ok) return [mode, `FAILED: ${result.problem ?? ''}`.slice(0, 60), '', '', '', '', '', ''];
		return [
			mode,
			result.binaryStorage ?? 'n/a',
			`${config.items} → ${result.outputItems ?? `${result.downloads} files`}`,
			((imageBytes * (result.downloads ?? 0)) / 1024 / 1024).toFixed(0),
			seconds(result.executionMs),
			mebibytes(result.idleRssKb),
			mebibytes(result.peakRssKb),
			mebibytes(result.peakRssKb !== undefined && result.idleRssKb !== undefined ? result.peakRssKb - result.idleRssKb : undefined),
		];
	});
	return markdownTable(
		['N8N_DEFAULT_BINARY_DATA_MODE', 'files stored as', 'items in → out', 'MB downloaded', 'exec wall s', 'idle RSS MB', 'peak RSS MB', 'Δ over idle MB'],
		rows,
	);
}

export interface MachineInfo {
	cpus: number;
	cpuModel: string;
	memoryGiB: string;
	benchNode: string;
	n8nNode: string;
	n8nVersion: string;
	kernel: string;
}

function machineInfo(provisioned: ProvisionedN8n): MachineInfo {
	return {
		cpus: os.cpus().length,
		cpuModel: os.cpus()[0]?.model ?? 'unknown',
		memoryGiB: (os.totalmem() / 1024 ** 3).toFixed(1),
		benchNode: process.version,
		n8nNode: provisioned.nodeVersion,
		n8nVersion: provisioned.n8nVersion,
		kernel: `${os.type()} ${os.release()}`,
	};
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

/**
 * The compiled bench lives in node_modules/.cache, and a git worktree's node_modules may be a link to
 * another checkout's: the e2e helpers would then find (and pack) that checkout. Pack the one the
 * bench was started in instead (bench.mjs has just built it), unless E2E_TARBALL names a tarball.
 */
function packStartingCheckout(): void {
	const here = fs.realpathSync(process.cwd());
	if (process.env.E2E_TARBALL || here === fs.realpathSync(repoRoot) || !fs.existsSync(path.join(here, 'package.json'))) return;
	const destination = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-bench-pack-'));
	const packed = spawnSync('npm', ['pack', '--pack-destination', destination, '--ignore-scripts', '--silent'], { cwd: here, encoding: 'utf8' });
	if (packed.status !== 0) throw new Error(`npm pack in ${here} failed:\n${packed.stderr}`);
	process.env.E2E_TARBALL = path.join(destination, packed.stdout.trim().split('\n').pop()!);
	say(`packed ${here} (the e2e helpers would have packed ${repoRoot})`);
}

export async function runBench(options: BenchOptions): Promise<number> {
	const began = Date.now();
	const loadAtStart = os.loadavg().map((load) => load.toFixed(1)).join(', ');
	packStartingCheckout();
	say('provisioning the pinned n8n and Node 24 (cached after the first time)...');
	const provisioned = await provisionN8n();
	say('packing the package (npm pack)...');
	const tarball = packPackage();
	const images = await startImageServer(options.imageKb * 1024);
	// The fake runs in this process, not in n8n: its memory is not in n8n's RSS. Its result links
	// point at the image server (only the download runs fetch them).
	const fake = await startFakeAceDataCloud({
		host: '127.0.0.1',
		port: 0,
		validTokens: [TOKEN],
		jobDurationMs: options.jobSeconds * 1000,
		publicBaseUrl: images.url,
	});
	const machine = machineInfo(provisioned);
	let context: BenchContext | undefined;

	const comparison: RunResult[] = [];
	const downloads: RunResult[] = [];
	try {
		context = { fake, images, keep: options.keep, requestLogDir: options.requestLogDir, templateFolder: await prepareTemplateFolder(tarball), n8nEnv: options.n8nEnv };
		if (options.compare) {
			for (const apiLatencyMs of options.apiLatenciesMs) {
				for (const size of options.sizes) {
					for (const kind of options.kinds) {
						comparison.push(
							await runConfiguration(context, {
								label: `${kind} N=${size} latency ${apiLatencyMs} ms`,
								kind,
								items: size,
								jobMs: options.jobSeconds * 1000,
								pollSeconds: options.pollSeconds,
								apiLatencyMs,
								concurrency: options.concurrency,
								maxConcurrency: options.maxConcurrency,
								downloadImages: 'none',
							}),
						);
					}
				}
			}
		}
		if (options.storm) {
			// Adaptive (the node's defaults) first, then each fixed concurrency (Max Concurrency = Concurrency).
			const stormRuns: Array<{ concurrency?: number; maxConcurrency?: number }> = [
				{},
				...options.storm.fixed.map((fixed) => ({ concurrency: fixed, maxConcurrency: fixed })),
			];
			for (const submissions of stormRuns) {
				comparison.push(
					await runConfiguration(context, {
						label: `storm ${options.storm.perSecond}/s N=${options.storm.items} concurrency ${submissions.concurrency ?? 'adaptive'}`,
						kind: 'ours',
						items: options.storm.items,
						jobMs: options.jobSeconds * 1000,
						pollSeconds: options.pollSeconds,
						apiLatencyMs: 0,
						...submissions,
						submitsPerSecond: options.storm.perSecond,
						downloadImages: 'none',
					}),
				);
			}
		}
		if (options.download) {
			for (const binaryMode of options.binaryModes) {
				downloads.push(
					await runConfiguration(context, {
						label: `download split N=${options.downloadItems} binary mode ${binaryMode}`,
						kind: 'ours',
						items: options.downloadItems,
						jobMs: options.downloadJobSeconds * 1000,
						pollSeconds: Math.min(options.pollSeconds, options.downloadJobSeconds),
						apiLatencyMs: options.apiLatenciesMs[0],
						concurrency: options.concurrency,
						maxConcurrency: options.maxConcurrency,
						downloadImages: 'split',
						binaryMode,
					}),
				);
			}
		}
	} finally {
		await fake.close();
		await images.close();
		if (context) fs.rmSync(context.templateFolder, { recursive: true, force: true });
	}

	const totalSeconds = (Date.now() - began) / 1000;
	const loadAtEnd = os.loadavg().map((load) => load.toFixed(1)).join(', ');
	const out: string[] = [
		'',
		`# Benchmark: Midjourney Edits node vs HTTP Request + Wait + IF loop (n8n ${machine.n8nVersion})`,
		'',
		`Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, ${machine.kernel}; ` +
			`bench on Node ${machine.benchNode}, n8n on Node ${machine.n8nNode}.`,
		(comparison.length > 0 ? `Fake API job duration ${options.jobSeconds} s, poll interval ${options.pollSeconds} s. ` : '') +
			`API latency (delay before every fake API answer): ${options.apiLatenciesMs.join(', ')} ms. ` +
			(options.concurrency !== undefined ? `Our node's Concurrency: ${options.concurrency}. ` : '') +
			(options.maxConcurrency !== undefined ? `Our node's Max Concurrency: ${options.maxConcurrency}. ` : '') +
			(options.storm ? `429 storm: the fake accepts ${options.storm.perSecond} submissions a second (429 without Retry-After beyond, as the vendor documents none), N = ${options.storm.items}, latency 0. ` : '') +
			`Load average at the start: ${loadAtStart} (${os.cpus().length} CPUs). ` +
			(Object.keys(options.n8nEnv).length > 0 ? `n8n environment: ${Object.entries(options.n8nEnv).map(([key, value]) => `${key}=${value}`).join(' ')}. ` : '') +
			'Each row is a fresh n8n process; peak RSS is the main n8n process\'s VmHWM, reset to its RSS just before the webhook call ' +
			'(Δ = peak minus that idle RSS). "429s": submissions the API refused; "wall / job": exec wall over one job\'s duration.',
		'',
	];
	if (comparison.length > 0) {
		out.push('## Ours vs the built-in workflow', '', comparisonTable(comparison), '', goalsReport(comparison, options), '');
	}
	if (downloads.length > 0) {
		out.push(
			`## Downloading ${options.downloadItems} results as split files (${options.downloadItems * 4} files of ${(images.png.length / 1024).toFixed(0)} KiB, job ${options.downloadJobSeconds} s)`,
			'',
			downloadTable(downloads, images.png.length),
			'',
		);
	}
	out.push(`Bench wall time: ${(totalSeconds / 60).toFixed(1)} min (${totalSeconds.toFixed(0)} s). Load average at the end: ${loadAtEnd}.`, '');
	process.stdout.write(`${out.join('\n')}\n`);

	if (options.jsonFile) {
		fs.mkdirSync(path.dirname(options.jsonFile), { recursive: true });
		fs.writeFileSync(
			options.jsonFile,
			`${JSON.stringify({ machine, options, totalSeconds, imageBytes: images.png.length, comparison, downloads }, null, 2)}\n`,
		);
		say(`figures written to ${options.jsonFile}`);
	}
	return [...comparison, ...downloads].every((result) => result.ok) ? 0 : 1;
}
