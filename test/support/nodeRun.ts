/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import path from 'path';
import type { INodeParameters } from 'n8n-workflow';

import { MidjourneyEdits } from '../../nodes/MidjourneyEdits/MidjourneyEdits.node';
import { MidjourneyEditsTrigger } from '../../nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node';
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { DEFAULT_PLATFORM_TOKEN } from '../fake-api/fakeAceDataCloud';
import { runWorkflow } from '../harness';
import type { InputItem, RunWorkflowOptions, WorkflowRunResult } from '../harness';

export const NODE_TYPES = {
	'n8n-nodes-midjourney-edits.midjourneyEdits': MidjourneyEdits,
	'n8n-nodes-midjourney-edits.midjourneyEditsTrigger': MidjourneyEditsTrigger,
};

export const TOKEN = 'test-token';

export function fixture(name: string): string {
	return path.join(__dirname, '..', 'workflows', name);
}

export function credentialsFor(fake: FakeAceDataCloud, token = TOKEN, platformToken = DEFAULT_PLATFORM_TOKEN) {
	return { aceDataCloudApi: { apiToken: token, platformToken, baseUrl: fake.url, platformBaseUrl: fake.url } };
}

/** Runs edit-image.workflow.json with the given items and node parameter overrides. */
export async function runEdit(
	fake: FakeAceDataCloud,
	input: InputItem[],
	parameters: INodeParameters = {},
	extra: Partial<RunWorkflowOptions> & { token?: string } = {},
): Promise<WorkflowRunResult> {
	const { token, ...options } = extra;
	return await runWorkflow(fixture('edit-image.workflow.json'), {
		nodeTypes: NODE_TYPES,
		credentials: credentialsFor(fake, token),
		input,
		parameters: { 'Midjourney Edits': parameters },
		...options,
	});
}

export const CAT = { imageUrl: 'https://cdn.example.test/input/cat.jpg', prompt: 'A cat sitting on a table, watercolor' };

/** `count` input items of the cat photo, each with its own prompt (so each is a different request). */
export const catItems = (count: number): InputItem[] =>
	Array.from({ length: count }, (_, index) => ({ json: { ...CAT, prompt: `photo ${index}` } }));

/** Submits an edit to the fake directly (not through the node), without waiting: its task id. */
export async function createEditTask(fake: FakeAceDataCloud, prompt = CAT.prompt, extra: Record<string, unknown> = {}): Promise<string> {
	const response = await fetch(`${fake.url}/midjourney/edits`, {
		method: 'POST',
		headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
		body: JSON.stringify({ image_url: CAT.imageUrl, prompt, ...extra, async: true }),
	});
	return ((await response.json()) as { task_id: string }).task_id;
}

/** One finished, one failed and one still running task in the fake (leaves `neverFinish` on). */
export async function tasksInEveryState(fake: FakeAceDataCloud, extra: Record<string, unknown> = {}) {
	const finished = await createEditTask(fake, CAT.prompt, extra);
	const failed = await createEditTask(fake, 'nope [fail]', extra);
	fake.faults.neverFinish = true;
	const running = await createEditTask(fake, CAT.prompt, extra);
	fake.finishTask(finished);
	fake.finishTask(failed);
	return { finished, failed, running };
}

/** The callback URL of the latest edit submitted to the fake API. */
export function submittedCallbackUrl(fake: FakeAceDataCloud): string {
	const submits = fake.requests.filter((entry) => entry.path === '/midjourney/edits');
	return String((submits.at(-1)!.body as Record<string, unknown>).callback_url);
}

/** Node parameters for "Wait for Callback" against the fake on 127.0.0.1, with extra options. */
export const callbackMode = (options: Record<string, unknown> = {}) => ({
	waitMode: 'callback',
	options: { timeoutSeconds: 120, allowPrivateCallbackUrl: true, ...options },
});
