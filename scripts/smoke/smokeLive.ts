/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/require-node-api-error -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * `npm run smoke:live`: the journeys of the package against the REAL Ace Data Cloud API, inside the
 * pinned n8n with the packed package (the e2e suite's helpers), for a maintainer with an account.
 * It spends money (each case submits one Midjourney edit), so it says what it will spend and runs
 * only with --yes. For each case it prints the task id, the seconds it took, what came back, and
 * every place where the live answers differ in shape from the contract's examples (../shared/api):
 * unknown fields, missing fields, other types. That is how the contract's open questions get closed.
 *
 * Not part of CI. Its offline parts (arguments, the plan, the shape diff) are unit-tested in
 * test/unit/smokeLive.test.ts.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { encodeRgbPng } from '../../test/fake-api/pngs';
import { loadFixture, N8nInstance, nodeOutput, type CreatedCredential } from '../../test/e2e/n8nInstance';
import { repoRoot } from '../../test/e2e/packageUnderTest';
import { withNodeParameters } from '../../test/e2e/support';

export const USAGE = `usage: npm run smoke:live -- --yes [options]

Runs the package's journeys against the real Ace Data Cloud API in the pinned n8n (packed package).
Every case submits one paid Midjourney edit. Without --yes it only prints what it would spend.

Environment:
  ACEDATACLOUD_API_TOKEN         the API token (required)
  ACEDATACLOUD_PLATFORM_TOKEN    the platform token (platform-...); without it the binary upload case is skipped
  ACEDATACLOUD_CALLBACK_BASE_URL public https base URL that forwards to n8n (optional; same as --callback-base-url)

Options:
  --yes                     spend the money
  --image-url URL           the public image to edit (default: the contract's example cat, which may not exist)
  --prompt TEXT             the prompt (default: "add a small red hat")
  --callback-base-url URL   public base URL of this n8n, e.g. from a tunnel: \`cloudflared tunnel --url http://127.0.0.1:5690\`
                            or \`ngrok http 5690\`; enables the trigger callback case
  --n8n-port N              the port n8n listens on (default 5690; the tunnel must forward to it)
  --api-base-url URL        default https://api.acedata.cloud
  --platform-base-url URL   default https://platform.acedata.cloud
  --timeout-seconds N       per case (default 600)`;

export interface SmokeOptions {
	apiToken: string;
	platformToken?: string;
	callbackBaseUrl?: string;
	imageUrl: string;
	prompt: string;
	n8nPort: number;
	apiBaseUrl: string;
	platformBaseUrl: string;
	timeoutSeconds: number;
}

export const DEFAULT_IMAGE_URL = 'https://cdn.acedata.cloud/input/cat.jpg';

const VALUE_FLAGS = ['--image-url', '--prompt', '--callback-base-url', '--n8n-port', '--api-base-url', '--platform-base-url', '--timeout-seconds'];

function httpsUrl(flag: string, value: string): string {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new Error(`${flag} must be a URL, got "${value}"`);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${flag} must be an http(s) URL`);
	return value.replace(/\/+$/, '');
}

/** The cases a run makes, with what each spends; the same list the run follows. */
export function plannedCases(options: SmokeOptions): Array<{ name: string; spends: string; tasks?: number }> {
	const cases: Array<{ name: string; spends: string; tasks?: number }> = [
		{ name: 'url-edit-polled', spends: '1 edit (mode fast)' },
		{ name: 'binary-edit-with-mask', spends: '1 upload (free) + 1 edit (mode fast)' },
		{ name: 'dont-wait-then-task-get', spends: '1 edit (mode fast)' },
		{ name: 'trigger-callback', spends: '1 edit (mode fast)' },
		// ASSUMPTION under test: /midjourney/imagine takes an edit's image_id (the contract does not say).
		{ name: 'upscale-of-edit-result', spends: '1 edit + 1 upscale through Midjourney Imagine (mode fast)', tasks: 2 },
	];
	return cases.filter(
		(entry) =>
			(entry.name !== 'binary-edit-with-mask' || options.platformToken !== undefined) &&
			(entry.name !== 'trigger-callback' || options.callbackBaseUrl !== undefined),
	);
}

/** What a run will spend, in words, for the confirmation. */
export function spendingSummary(options: SmokeOptions): string {
	const cases = plannedCases(options);
	const tasks = cases.reduce((sum, entry) => sum + (entry.tasks ?? 1), 0);
	const lines = cases.map((entry, index) => `  ${index + 1}. ${entry.name}: ${entry.spends}`);
	const skipped = [
		options.platformToken === undefined ? '  (skipped: binary-edit-with-mask, set ACEDATACLOUD_PLATFORM_TOKEN)' : '',
		options.callbackBaseUrl === undefined ? '  (skipped: trigger-callback, give --callback-base-url)' : '',
	].filter(Boolean);
	return [
		`This run submits ${tasks} paid Midjourney tasks to ${options.apiBaseUrl} (billed at your plan's price for Midjourney Edits, and Midjourney Imagine for the upscale, mode fast):`,
		...lines,
		...skipped,
	].join('\n');
}

/**
 * Reads the command line and the environment. Returns 'help', or the options; throws (exit 2) for
 * bad arguments, a missing API token, or a missing --yes (after saying what the run would spend).
 */
export function parseSmokeArguments(argv: string[], env: Record<string, string | undefined>): SmokeOptions | 'help' {
	if (argv.includes('--help') || argv.includes('-h')) return 'help';
	const values = new Map<string, string>();
	let yes = false;
	for (let index = 0; index < argv.length; index++) {
		const [flag, inline] = argv[index].split(/=(.*)/s, 2);
		if (flag === '--yes') {
			yes = true;
			continue;
		}
		if (!VALUE_FLAGS.includes(flag)) throw new Error(`unknown argument "${argv[index]}"\n${USAGE}`);
		const value = inline ?? argv[++index];
		if (value === undefined || value === '') throw new Error(`${flag} needs a value\n${USAGE}`);
		values.set(flag, value);
	}
	const apiToken = (env.ACEDATACLOUD_API_TOKEN ?? '').trim();
	if (apiToken === '') throw new Error(`ACEDATACLOUD_API_TOKEN is not set: export your API token first.\n${USAGE}`);
	const platformToken = (env.ACEDATACLOUD_PLATFORM_TOKEN ?? '').trim() || undefined;
	const callbackValue = values.get('--callback-base-url') ?? (env.ACEDATACLOUD_CALLBACK_BASE_URL ?? '').trim();
	const number = (flag: string, fallback: number, max: number) => {
		const raw = values.get(flag);
		if (raw === undefined) return fallback;
		if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new Error(`${flag} must be a whole number from 1 to ${max}`);
		return Number(raw);
	};
	const options: SmokeOptions = {
		apiToken,
		platformToken,
		callbackBaseUrl: callbackValue ? httpsUrl('--callback-base-url', callbackValue) : undefined,
		imageUrl: httpsUrl('--image-url', values.get('--image-url') ?? DEFAULT_IMAGE_URL),
		prompt: values.get('--prompt') ?? 'add a small red hat',
		n8nPort: number('--n8n-port', 5690, 65535),
		apiBaseUrl: httpsUrl('--api-base-url', values.get('--api-base-url') ?? 'https://api.acedata.cloud'),
		platformBaseUrl: httpsUrl('--platform-base-url', values.get('--platform-base-url') ?? 'https://platform.acedata.cloud'),
		timeoutSeconds: number('--timeout-seconds', 600, 3600),
	};
	if (!yes) throw new Error(`${spendingSummary(options)}\n\nNothing was sent. Run again with --yes to spend it.`);
	return options;
}

/** For scripts/runCompiled.mjs. */
export function parseArguments(argv: string[]): SmokeOptions | 'help' {
	return parseSmokeArguments(argv, process.env);
}

export interface ShapeDifference {
	path: string;
	kind: 'unknown_field' | 'missing_field' | 'other_type';
	detail: string;
}

function kindOf(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'array';
	return typeof value;
}

/**
 * Where `actual` differs in shape from `expected` (a contract example): fields the example lacks,
 * fields it has that the answer lacks, and other types. Objects are compared field by field, arrays
 * by their first element; values themselves are never compared (nor printed: they may be signed links).
 */
export function diffShape(actual: unknown, expected: unknown, at = ''): ShapeDifference[] {
	const here = at || '(top)';
	const actualKind = kindOf(actual);
	const expectedKind = kindOf(expected);
	if (actualKind !== expectedKind) return [{ path: here, kind: 'other_type', detail: `${actualKind} where the example has ${expectedKind}` }];
	if (actualKind === 'array') {
		const [first] = actual as unknown[];
		const [example] = expected as unknown[];
		return first === undefined || example === undefined ? [] : diffShape(first, example, `${at}[0]`);
	}
	if (actualKind !== 'object') return [];
	const actualObject = actual as Record<string, unknown>;
	const expectedObject = expected as Record<string, unknown>;
	const differences: ShapeDifference[] = [];
	for (const key of Object.keys(actualObject)) {
		const child = at ? `${at}.${key}` : key;
		if (!(key in expectedObject)) differences.push({ path: child, kind: 'unknown_field', detail: `${kindOf(actualObject[key])}, not in the example` });
		else differences.push(...diffShape(actualObject[key], expectedObject[key], child));
	}
	for (const key of Object.keys(expectedObject)) {
		if (!(key in actualObject)) differences.push({ path: at ? `${at}.${key}` : key, kind: 'missing_field', detail: `the example has ${kindOf(expectedObject[key])}` });
	}
	return differences;
}

export function formatDifferences(what: string, differences: ShapeDifference[]): string[] {
	if (differences.length === 0) return [`    ${what}: same shape as the example`];
	return [`    ${what}:`, ...differences.map((entry) => `      ${entry.kind} ${entry.path}: ${entry.detail}`)];
}

// --- the live run ----------------------------------------------------------------------------------

const say = (line: string) => process.stdout.write(`${line}\n`);

function example(name: string): unknown {
	return JSON.parse(fs.readFileSync(path.join(path.dirname(repoRoot), 'shared', 'api', 'examples', name), 'utf8'));
}

/** Looks a task up straight from the API (the raw record, to compare with the contract). */
async function apiPost(options: SmokeOptions, body: unknown): Promise<{ status: number; json: unknown }> {
	const response = await fetch(`${options.apiBaseUrl}/midjourney/tasks`, {
		method: 'POST',
		headers: { authorization: `Bearer ${options.apiToken}`, accept: 'application/json', 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	const text = await response.text();
	let json: unknown = text;
	try {
		json = JSON.parse(text);
	} catch {
		// Printed as text below.
	}
	return { status: response.status, json };
}

/** Prints what came back for a task and how the raw record and a batch page differ from the contract. */
async function reportTask(
	options: SmokeOptions,
	taskId: string | undefined,
	startedAt: number,
	output: Record<string, unknown> | undefined,
	outputExample = 'edits-success.json',
): Promise<number> {
	say(`  task id: ${taskId ?? '(none)'}; ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
	const summary = output ? Object.fromEntries(['success', 'status', 'progress', 'error', 'image_width', 'image_height'].filter((key) => key in output).map((key) => [key, output[key]])) : {};
	say(`  node output: ${JSON.stringify(summary)}`);
	if (output) for (const line of formatDifferences(`node output vs ${outputExample}`, diffShape(output, example(outputExample)))) say(line);
	if (!taskId) return 1;
	const single = await apiPost(options, { action: 'retrieve', id: taskId });
	say(`  retrieve: HTTP ${single.status}`);
	for (const line of formatDifferences('record vs task-record.json', diffShape(single.json, example('task-record.json')))) say(line);
	const unknown = await apiPost(options, { action: 'retrieve', id: randomUUID() });
	say(`  retrieve of an unknown id: HTTP ${unknown.status}, body ${JSON.stringify(unknown.json).slice(0, 200)}`);
	const batch = await apiPost(options, { action: 'retrieve_batch', ids: [taskId, randomUUID()] });
	const page = (batch.json ?? {}) as Record<string, unknown>;
	const pageItems = Array.isArray(page.items) ? page.items : [];
	say(`  retrieve_batch of [this task, an unknown id]: HTTP ${batch.status}, ${pageItems.length} item(s): ${JSON.stringify(pageItems.map((item) => (item && typeof item === 'object' ? (Object.keys(item).length === 0 ? '{}' : 'record') : item)))}, count ${JSON.stringify(page.count)}`);
	const withoutItems = (value: Record<string, unknown>) => Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'items'));
	const exampleBatch = example('task-batch.json') as Record<string, unknown>;
	for (const line of formatDifferences('page (without items) vs task-batch.json', diffShape(withoutItems(page), withoutItems(exampleBatch)))) say(line);
	if (pageItems[0]) for (const line of formatDifferences('items[0] vs task-record.json', diffShape(pageItems[0], example('task-record.json')))) say(line);
	return output && output.error === undefined ? 0 : 1;
}

async function downloadImage(url: string): Promise<Buffer> {
	const response = await fetch(url);
	if (!response.ok) throw new Error(`could not download --image-url (HTTP ${response.status})`);
	return Buffer.from(await response.arrayBuffer());
}

/** Width and height of a PNG or JPEG, to make a mask of the same size (the contract does not say it must match). */
function imageSize(bytes: Buffer): { width: number; height: number } {
	if (bytes.subarray(1, 4).toString('latin1') === 'PNG') return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
	for (let offset = 2; offset + 9 < bytes.length; ) {
		const marker = bytes[offset + 1];
		const length = bytes.readUInt16BE(offset + 2);
		if (marker >= 0xc0 && marker <= 0xc3) return { height: bytes.readUInt16BE(offset + 5), width: bytes.readUInt16BE(offset + 7) };
		offset += 2 + length;
	}
	return { width: 512, height: 512 };
}

export async function runSmokeLive(options: SmokeOptions): Promise<number> {
	say(spendingSummary(options));
	const n8n = await N8nInstance.start({
		port: options.n8nPort,
		env: options.callbackBaseUrl ? { N8N_WEBHOOK_URL: `${options.callbackBaseUrl}/`, WEBHOOK_URL: `${options.callbackBaseUrl}/` } : {},
	});
	let failures = 0;
	try {
		const credential: CreatedCredential = await n8n.createCredential({
			name: 'Ace Data Cloud (smoke:live)',
			type: 'aceDataCloudApi',
			data: {
				apiToken: options.apiToken,
				...(options.platformToken ? { platformToken: options.platformToken } : {}),
				baseUrl: options.apiBaseUrl,
				platformBaseUrl: options.platformBaseUrl,
			},
		});
		const values = (extra: Record<string, string> = {}) => ({
			WEBHOOK_ID: randomUUID(),
			WEBHOOK_PATH: `smoke-${randomUUID().slice(0, 8)}`,
			CREDENTIAL_ID: credential.id,
			CREDENTIAL_NAME: credential.name,
			...extra,
		});
		const timeouts = { options: { pollIntervalSeconds: 5, timeoutSeconds: options.timeoutSeconds, allowPrivateCallbackUrl: false } };
		const deploy = async (fixture: string, extra: Record<string, string>, patch: Record<string, unknown>) => {
			const filled = values(extra);
			await n8n.deployWorkflow(withNodeParameters(loadFixture(fixture, filled), 'Midjourney Edits', patch));
			return filled.WEBHOOK_PATH;
		};
		const firstItem = (body: unknown) => (Array.isArray(body) ? (body[0] as Record<string, unknown>) : undefined);

		for (const { name } of plannedCases(options)) {
			say(`\n== ${name}`);
			const startedAt = Date.now();
			try {
				if (name === 'url-edit-polled') {
					const hook = await deploy('edit-via-webhook', { WAIT_MODE: 'poll', ON_ERROR: 'continueRegularOutput' }, timeouts);
					const item = firstItem((await n8n.callWebhook(hook, { imageUrl: options.imageUrl, prompt: options.prompt })).body);
					failures += await reportTask(options, item?.task_id as string | undefined, startedAt, item);
				} else if (name === 'binary-edit-with-mask') {
					const image = await downloadImage(options.imageUrl);
					const { width, height } = imageSize(image);
					const mask = encodeRgbPng(width, height, (x, y) => (x > width / 4 && x < (3 * width) / 4 && y > height / 4 && y < (3 * height) / 4 ? [255, 255, 255] : [0, 0, 0]));
					const hook = await deploy('edit-binary-from-base64', {}, {
						options: { ...timeouts.options, maskBase64: "={{ $('Webhook').item.json.body.maskBase64 }}" },
					});
					const response = await n8n.callWebhook(hook, { pngBase64: image.toString('base64'), maskBase64: mask.toString('base64'), prompt: options.prompt });
					const item = firstItem(response.body);
					failures += await reportTask(options, item?.task_id as string | undefined, startedAt, item);
				} else if (name === 'dont-wait-then-task-get') {
					const submitHook = await deploy('edit-via-webhook', { WAIT_MODE: 'none', ON_ERROR: 'continueRegularOutput' }, {});
					const ack = firstItem((await n8n.callWebhook(submitHook, { imageUrl: options.imageUrl, prompt: options.prompt })).body);
					const taskId = ack?.task_id as string | undefined;
					for (const line of formatDifferences('node output vs edits-async-ack.json', diffShape(ack, example('edits-async-ack.json')))) say(line);
					const getHook = await deploy('edit-via-webhook', { WAIT_MODE: 'none', ON_ERROR: 'continueRegularOutput' }, { resource: 'task', operation: 'get', taskId: '={{ $json.body.taskId }}', simplify: false });
					let record: Record<string, unknown> | undefined;
					const statuses: string[] = [];
					while (taskId && Date.now() - startedAt < options.timeoutSeconds * 1000) {
						record = firstItem((await n8n.callWebhook(getHook, { taskId })).body);
						statuses.push(String(record?.status));
						if (record?.status !== 'running') break;
						await new Promise((resolve) => setTimeout(resolve, 10_000));
					}
					say(`  Task → Get statuses seen: ${statuses.join(' → ')}`);
					failures += await reportTask(options, taskId, startedAt, record, 'task-record.json');
				} else if (name === 'trigger-callback') {
					const webhookId = randomUUID();
					const trigger = await n8n.deployWorkflow(loadFixture('callback-trigger', { WEBHOOK_ID: webhookId, CREDENTIAL_ID: credential.id, CREDENTIAL_NAME: credential.name }));
					const callbackUrl = `${options.callbackBaseUrl}/webhook/${webhookId}/callback`;
					const submitHook = await deploy('edit-via-webhook', { WAIT_MODE: 'none', ON_ERROR: 'continueRegularOutput' }, {});
					const ack = firstItem((await n8n.callWebhook(submitHook, { imageUrl: options.imageUrl, prompt: options.prompt, callbackUrl })).body);
					const execution = await n8n.waitForExecution((candidate) => candidate.status !== 'running', {
						workflowId: trigger.id,
						timeoutMs: options.timeoutSeconds * 1000,
						intervalMs: 5000,
					});
					const [item] = nodeOutput(execution, 'Midjourney Edits Trigger');
					failures += await reportTask(options, ack?.task_id as string | undefined, startedAt, item);
				} else if (name === 'upscale-of-edit-result') {
					const editHook = await deploy('edit-via-webhook', { WAIT_MODE: 'poll', ON_ERROR: 'continueRegularOutput' }, timeouts);
					const edited = firstItem((await n8n.callWebhook(editHook, { imageUrl: options.imageUrl, prompt: options.prompt })).body);
					say(`  edit: task ${String(edited?.task_id)}, image_id ${String(edited?.image_id)}, actions ${JSON.stringify(edited?.actions)}`);
					const upscaleHook = await deploy('edit-via-webhook', { WAIT_MODE: 'poll', ON_ERROR: 'continueRegularOutput' }, {
						...timeouts,
						operation: 'upscale',
						upscaleAction: 'upscale1',
						imageId: '={{ $json.body.imageId }}',
					});
					const item = firstItem((await n8n.callWebhook(upscaleHook, { imageId: edited?.image_id })).body);
					say(`  upscale1 of the edit's image_id: ${item?.error === undefined ? 'accepted' : `refused: ${String(item?.error)}`}; action ${String(item?.action)}`);
					failures += await reportTask(options, item?.task_id as string | undefined, startedAt, item);
				}
			} catch (error) {
				failures++;
				say(`  FAILED: ${(error as Error).message}`);
			}
		}
	} finally {
		await n8n.stop();
	}
	say(`\n${failures === 0 ? 'All cases finished.' : `${failures} case(s) did not finish cleanly.`} Paste the shape differences above into ../shared/api/README.md's open questions.`);
	return failures === 0 ? 0 : 1;
}
