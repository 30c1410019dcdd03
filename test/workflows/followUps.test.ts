/**
 * Issue 17: the follow-ups on a finished result (Upscale, Vary, Reroll, Zoom Out, Pan), run as whole
 * workflows through n8n-core's engine against the fake API: the exact request each choice sends to
 * POST /midjourney/imagine, the three wait modes on the shared batch engine, the output that says
 * which action made it and chains on, and bad choices refused before any paid request.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { signCallbackUrl } from '../../nodes/shared/callbackSignature';
import { MidjourneyEditsTrigger } from '../../nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node';

import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { GRID_ACTIONS, startFakeAceDataCloud, UPSCALED_ACTIONS } from '../fake-api/fakeAceDataCloud';
import type { InputItem, RunWorkflowOptions } from '../harness';
import { callTriggerWebhook, DEFAULT_TRIGGER_WEBHOOK_ID, getHarnessBaseUrl, runWorkflow, waitForResumedRun } from '../harness';
import { callbackMode, CAT, credentialsFor, fixture, NODE_TYPES, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 100, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

const NODE = 'Midjourney Edits';

/** Posts to the fake API directly (synchronously: the answer is the finished result). */
async function apiResult(path: string, body: IDataObject): Promise<IDataObject> {
	const answer = await fetch(`${fake.url}${path}`, {
		method: 'POST',
		headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	const json = (await answer.json()) as IDataObject;
	if (json.success !== true) throw new Error(`setup request failed: ${JSON.stringify(json)}`);
	return json;
}

/** A finished edit (a 2x2 grid): what an Edit node outputs with Simplify off. */
const finishedGrid = async () => await apiResult('/midjourney/edits', { action: 'generate', image_url: CAT.imageUrl, prompt: CAT.prompt });
/** A finished upscale of quarter 1 of a grid (an upscaled image). */
const finishedUpscale = async () => await apiResult('/midjourney/imagine', { action: 'upscale1', image_id: (await finishedGrid()).image_id });

/** Requests made from now on (the setup's requests above are not the node's). */
function requestsFromNow() {
	const from = fake.requests.length;
	const all = () => fake.requests.slice(from);
	return {
		all,
		imagine: () => all().filter((entry) => entry.path === '/midjourney/imagine'),
		imagineBodies: () => all().filter((entry) => entry.path === '/midjourney/imagine').map((entry) => entry.body as IDataObject),
	};
}

async function runFollowUp(input: InputItem[], parameters: INodeParameters = {}, extra: Partial<RunWorkflowOptions> = {}) {
	return await runWorkflow(fixture('follow-up.workflow.json'), {
		nodeTypes: NODE_TYPES,
		credentials: credentialsFor(fake),
		input,
		parameters: { [NODE]: parameters },
		...extra,
	});
}

/** Each operation's choices: the parameter, the API action it sends, and what the source must be. */
const CHOICES: Array<{ operation: string; parameter?: string; action: string; on: 'grid' | 'upscaled' }> = [
	...[1, 2, 3, 4].map((n) => ({ operation: 'upscale', parameter: 'upscaleAction', action: `upscale${n}`, on: 'grid' as const })),
	{ operation: 'upscale', parameter: 'upscaleAction', action: 'upscale_2x', on: 'upscaled' },
	{ operation: 'upscale', parameter: 'upscaleAction', action: 'upscale_4x', on: 'upscaled' },
	...[1, 2, 3, 4].map((n) => ({ operation: 'vary', parameter: 'varyAction', action: `variation${n}`, on: 'grid' as const })),
	{ operation: 'vary', parameter: 'varyAction', action: 'variation_subtle', on: 'upscaled' },
	{ operation: 'vary', parameter: 'varyAction', action: 'variation_strong', on: 'upscaled' },
	{ operation: 'reroll', action: 'reroll', on: 'grid' },
	{ operation: 'zoomOut', parameter: 'zoomOutAction', action: 'zoom_out_2x', on: 'upscaled' },
	{ operation: 'zoomOut', parameter: 'zoomOutAction', action: 'zoom_out_1_5x', on: 'upscaled' },
	...['left', 'right', 'up', 'down'].map((way) => ({ operation: 'pan', parameter: 'panDirection', action: `pan_${way}`, on: 'upscaled' as const })),
];

function parametersFor(choice: (typeof CHOICES)[number]): INodeParameters {
	return { operation: choice.operation, ...(choice.parameter ? { [choice.parameter]: choice.action } : {}) };
}

describe('each follow-up choice', () => {
	it.each(CHOICES.map((choice) => [choice.action, choice] as const))(
		'%s sends exactly action + image_id + mode to /midjourney/imagine and outputs the task with its action (Don\'t Wait)',
		async (_, choice) => {
			const source = choice.on === 'grid' ? await finishedGrid() : await finishedUpscale();
			const requests = requestsFromNow();
			const result = await runFollowUp([{ json: source }], { ...parametersFor(choice), waitMode: 'none', output: 'grid' });
			expect(result.status).toBe('success');
			expect(requests.imagineBodies()).toEqual([{ action: choice.action, image_id: source.image_id, mode: 'fast', async: true }]);
			const taskId = [...fake.tasks.keys()].at(-1);
			expect(result.nodeOutputs(NODE).map((item) => item.json)).toEqual([{ task_id: taskId, action: choice.action }]);
		},
	);
});

describe('poll mode', () => {
	it('upscales quarter 2 of a grid and outputs the new image with its action, image_id and actions (Simplify on)', async () => {
		const grid = await finishedGrid();
		const requests = requestsFromNow();
		const result = await runFollowUp([{ json: grid }], { mode: 'relax' });
		expect(result.status).toBe('success');
		expect(requests.imagineBodies()).toEqual([{ action: 'upscale2', image_id: grid.image_id, mode: 'relax', async: true }]);
		const [item, ...more] = result.nodeOutputs(NODE);
		expect(more).toHaveLength(0);
		expect(item.pairedItem).toEqual({ item: 0 });
		const task = fake.tasks.get(String(item.json.task_id))!;
		expect(task.record.type).toBe('imagine');
		expect(item.json).toMatchObject({
			task_id: task.id,
			action: 'upscale2',
			image_id: (task.result as unknown as IDataObject).image_id,
			actions: [...UPSCALED_ACTIONS],
			success: true,
		});
		expect(item.json.image_id).not.toBe(grid.image_id);
		// Polled with one lookup per round, as Edit is.
		expect(requests.all().filter((entry) => entry.path === '/midjourney/tasks').length).toBeGreaterThanOrEqual(1);
	});

	it('a grid-making follow-up with Four Image Files asks for the split and outputs four files that name the action', async () => {
		const grid = await finishedGrid();
		const requests = requestsFromNow();
		const result = await runFollowUp([{ json: grid }], { operation: 'vary', varyAction: 'variation3', output: 'split' });
		expect(result.status).toBe('success');
		expect(requests.imagineBodies()).toEqual([{ action: 'variation3', image_id: grid.image_id, mode: 'fast', split_images: true, async: true }]);
		const items = result.nodeOutputs(NODE);
		expect(items).toHaveLength(4);
		expect(items.every((item) => item.binary?.data?.mimeType === 'image/png' && item.json.action === 'variation3')).toBe(true);
	});

	it('an upscale never asks for a split (its result is one image)', async () => {
		const grid = await finishedGrid();
		const requests = requestsFromNow();
		const result = await runFollowUp([{ json: grid }], { output: 'links' });
		expect(result.status).toBe('success');
		expect(requests.imagineBodies()[0]).not.toHaveProperty('split_images');
	});

	it('Vary (region) sends the mask as raw base64', async () => {
		const upscaled = await finishedUpscale();
		const mask = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
		const requests = requestsFromNow();
		const result = await runFollowUp([{ json: upscaled }], {
			operation: 'vary',
			varyAction: 'variation_region',
			options: { maskBase64: `data:image/png;base64,${mask}`, pollIntervalSeconds: 1 },
		});
		expect(result.status).toBe('success');
		expect(requests.imagineBodies()).toEqual([
			{ action: 'variation_region', image_id: upscaled.image_id, mode: 'fast', split_images: true, mask, async: true },
		]);
		expect(result.nodeOutputs(NODE)[0].json).toMatchObject({ action: 'variation_region', actions: [...GRID_ACTIONS] });
	});

	it('Edit → Upscale with every field at its default: the Edit\'s simplified output carries image_id and actions, the Upscale reads them with no expression', async () => {
		const result = await runWorkflow(fixture('edit-then-upscale.workflow.json'), {
			nodeTypes: NODE_TYPES,
			credentials: credentialsFor(fake),
			input: [{ json: CAT }],
		});
		expect(result.status).toBe('success');
		const [edited] = result.nodeOutputs('Edit');
		expect(edited.json).toMatchObject({ image_id: expect.any(String), actions: [...GRID_ACTIONS] });
		const imagine = fake.requests.filter((entry) => entry.path === '/midjourney/imagine');
		expect(imagine.map((entry) => entry.body)).toEqual([{ action: 'upscale2', image_id: edited.json.image_id, mode: 'fast', async: true }]);
		const [upscaled] = result.nodeOutputs('Upscale');
		// The default Output is the image as a file.
		expect(upscaled.binary?.data?.mimeType).toBe('image/png');
		expect(upscaled.json).toMatchObject({ action: 'upscale2', image_id: expect.any(String), actions: [...UPSCALED_ACTIONS] });
	});
});

describe('bad choices fail before any request', () => {
	it('Upscale 2x on a grid: names the choice, says it needs an upscaled image, lists what the grid offers', async () => {
		const grid = await finishedGrid();
		const requests = requestsFromNow();
		const result = await runFollowUp([{ json: grid }], { upscaleAction: 'upscale_2x' });
		expect(result.status).toBe('error');
		expect(result.error?.message).toBe("'Upscale 2x (subtle)' needs an upscaled image; this image is a 2x2 grid [item 1]");
		expect((result.error as { description?: string }).description).toMatch(
			/^This image offers: Upscale quarter 1-4, Vary quarter 1-4, Reroll\. Upscale one quarter first/,
		);
		expect(requests.all()).toHaveLength(0);
	});

	it('a quarter on an upscaled image, and Pan on a grid', async () => {
		const upscaled = await finishedUpscale();
		const grid = await finishedGrid();
		const requests = requestsFromNow();
		const quarter = await runFollowUp([{ json: upscaled }], { operation: 'vary', varyAction: 'variation2' });
		expect(quarter.error?.message).toBe("'Vary quarter 2' needs a 2x2 grid; this image is already upscaled [item 1]");
		expect((quarter.error as { description?: string }).description).toMatch(/offers: Upscale 2x \(subtle\), Upscale 4x \(creative\), Vary \(subtle\)/);
		const pan = await runFollowUp([{ json: grid }], { operation: 'pan', panDirection: 'pan_up' });
		expect(pan.error?.message).toBe("'Pan up' needs an upscaled image; this image is a 2x2 grid [item 1]");
		expect(requests.all()).toHaveLength(0);
	});

	it('an empty Image ID names the field and says where the image_id comes from', async () => {
		const requests = requestsFromNow();
		const result = await runFollowUp([{ json: { prompt: 'no image_id here' } }]);
		expect(result.error?.message).toBe("'Image ID' is empty [item 1]");
		expect((result.error as { description?: string }).description).toMatch(/image_id of a finished Midjourney result/);
		expect(requests.all()).toHaveLength(0);
	});

	it("Four Image Files on an upscale (its result is one image), naming 'Output'", async () => {
		const grid = await finishedGrid();
		const requests = requestsFromNow();
		const result = await runFollowUp([{ json: grid }], { output: 'split' });
		expect(result.error?.message).toBe("'Four Image Files' does not apply to an upscale: its result is one image [item 1]");
		expect((result.error as { description?: string }).description).toMatch(/Under 'Output', choose 'Image File \(Grid\)'/);
		expect(requests.all()).toHaveLength(0);
	});

	it('Vary (region) without a mask', async () => {
		const upscaled = await finishedUpscale();
		const requests = requestsFromNow();
		const result = await runFollowUp([{ json: upscaled }], { operation: 'vary', varyAction: 'variation_region' });
		expect(result.error?.message).toBe("'Vary (region)' needs a mask [item 1]");
		expect((result.error as { description?: string }).description).toMatch(/'Mask Input Data Field Name'.*'Mask as Text' under Options/);
		expect(requests.all()).toHaveLength(0);
	});

	it('an item of another image (the Image ID mapped from elsewhere) is not checked against its actions: the API decides', async () => {
		const grid = await finishedGrid();
		const upscaled = await finishedUpscale();
		const requests = requestsFromNow();
		// The item is a grid, but the Image ID names the upscaled image, which offers 2x.
		const result = await runFollowUp([{ json: grid }], { upscaleAction: 'upscale_2x', imageId: String(upscaled.image_id), waitMode: 'none' });
		expect(result.status).toBe('success');
		expect(requests.imagineBodies()).toEqual([{ action: 'upscale_2x', image_id: upscaled.image_id, mode: 'fast', async: true }]);
	});

	it('under Continue On Fail, each bad item gives an error item and the rest still run', async () => {
		const [first, second] = [await finishedGrid(), await finishedGrid()];
		const upscaled = await finishedUpscale();
		const requests = requestsFromNow();
		const result = await runFollowUp(
			[{ json: first }, { json: { image_id: '' } }, { json: upscaled }, { json: second }],
			{},
			{ nodeSettings: { [NODE]: { onError: 'continueRegularOutput' } } },
		);
		expect(result.status).toBe('success');
		const output = result.nodeOutputs(NODE);
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }]);
		expect(output[1].json.error).toBe("'Image ID' is empty [item 2]");
		expect(output[2].json.error).toBe("'Upscale quarter 2' needs a 2x2 grid; this image is already upscaled [item 3]");
		expect([output[0].json.action, output[3].json.action]).toEqual(['upscale2', 'upscale2']);
		expect(requests.imagineBodies().map((body) => body.image_id)).toEqual([first.image_id, second.image_id]);
	});
});

describe('the batch engine, as for Edit', () => {
	it('Retry On Fail never submits a follow-up twice: every try waits for the first try\'s task', async () => {
		const grid = await finishedGrid();
		const requests = requestsFromNow();
		fake.faults.downloadFailures = 2; // the first try's download fails twice (its own retry too)
		const result = await runFollowUp([{ json: grid }], { output: 'grid' }, {
			nodeSettings: { [NODE]: { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 } },
		});
		expect(result.status).toBe('success');
		expect(requests.imagine()).toHaveLength(1);
		expect(result.nodeOutputs(NODE)[0].json.task_id).toBe([...fake.tasks.keys()].at(-1));
	}, 60_000);

	it('a 404 no_api from /midjourney/imagine tells the user to acquire the Midjourney Imagine service', async () => {
		const grid = await finishedGrid();
		fake.faults.imagineNotAcquired = true;
		const result = await runFollowUp([{ json: grid }]);
		expect(result.status).toBe('error');
		expect(result.error?.message).toBe('The Midjourney Imagine service is not enabled for this Ace Data Cloud application [item 1]');
		expect((result.error as { description?: string }).description).toMatch(/acquire \(apply for\) it/);
	});

	it('a failed follow-up task fails the item, naming the task', async () => {
		const grid = await finishedGrid();
		fake.faults.failTasks = true;
		const result = await runFollowUp([{ json: grid }]);
		expect(result.status).toBe('error');
		expect(result.error?.message).toContain([...fake.tasks.keys()].at(-1));
		expect(result.error?.message).toMatch(/^Midjourney refused the upscale \(task /);
	});

	it('a 500 while submitting names the follow-up, not an edit, in the message and the not-sent-again note', async () => {
		const grid = await finishedGrid();
		fake.faults.submitServerError = 1;
		const requests = requestsFromNow();
		const result = await runFollowUp([{ json: grid }]);
		expect(result.status).toBe('error');
		expect(requests.imagine()).toHaveLength(1);
		expect(result.error?.message).toMatch(/while submitting the follow-up \[item 1\]$/);
		expect((result.error as { description?: string }).description).toMatch(/^The follow-up was NOT sent again automatically/);
	});
});

describe('wait for callback', () => {
	it('resumes with the follow-up\'s result, its action read from the task record', async () => {
		const grid = await finishedGrid();
		const requests = requestsFromNow();
		const waiting = await runFollowUp([{ json: grid }], { ...callbackMode(), operation: 'reroll' });
		expect(waiting.status).toBe('waiting');
		const [submitted] = requests.imagineBodies();
		expect(submitted).toMatchObject({ action: 'reroll', image_id: grid.image_id, mode: 'fast', split_images: true });
		expect(String(submitted.callback_url)).toMatch(/^http/);
		expect(submitted.async).toBeUndefined();
		const resumed = await waitForResumedRun(waiting, { timeoutMs: 30_000 });
		expect(resumed.status).toBe('success');
		const [item] = resumed.nodeOutputs(NODE);
		expect(item.json).toMatchObject({ action: 'reroll', success: true, image_id: expect.any(String), actions: [...GRID_ACTIONS] });
		expect(item.json.image_id).not.toBe(grid.image_id);
	});
});

describe('Midjourney Edits Trigger', () => {
	/** Posts a task's callback body to the trigger, signed for its own URL as the node signs it. */
	async function callTrigger(taskId: string, claims: IDataObject = {}) {
		const triggerUrl = `${await getHarnessBaseUrl()}/webhook/${DEFAULT_TRIGGER_WEBHOOK_ID}/callback`;
		const query = Object.fromEntries(new URL(signCallbackUrl(triggerUrl, TOKEN)).searchParams.entries());
		const body = { ...(fake.tasks.get(taskId)!.record.response as unknown as IDataObject), ...claims };
		return await callTriggerWebhook(MidjourneyEditsTrigger, { events: 'both', output: 'links' }, { body, query }, { credentials: credentialsFor(fake), staticData: {} });
	}

	it('a follow-up\'s callback starts it; the output names the action from the task record, not from the body', async () => {
		const upscaled = await finishedUpscale();
		const taskId = String(upscaled.task_id);
		expect(fake.tasks.get(taskId)!.record.type).toBe('imagine');
		// The body claims another action: only the record counts.
		const started = await callTrigger(taskId, { action: 'reroll' });
		const [item] = started.workflowData![0];
		expect(item.json).toMatchObject({ task_id: taskId, action: 'upscale1', image_id: upscaled.image_id, actions: [...UPSCALED_ACTIONS], success: true });
	});

	it("a failed follow-up's callback names the action in its error", async () => {
		const grid = await finishedGrid();
		fake.faults.failTasks = true;
		// Synchronous: the answer comes once the task has failed.
		await fetch(`${fake.url}/midjourney/imagine`, {
			method: 'POST',
			headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
			body: JSON.stringify({ action: 'reroll', image_id: grid.image_id }),
		});
		const taskId = [...fake.tasks.keys()].at(-1)!;
		expect(fake.tasks.get(taskId)!.record.request).toMatchObject({ action: 'reroll' });
		const started = await callTrigger(taskId);
		const [item] = started.workflowData![0];
		expect(item.json).toMatchObject({ task_id: taskId, action: 'reroll', success: false });
		expect(item.json.error).toBe(`Midjourney refused the reroll (task ${taskId}): content moderation`);
	});

	it("an edit's callback names no action (its request's action is generate)", async () => {
		const grid = await finishedGrid();
		const started = await callTrigger(String(grid.task_id));
		const [item] = started.workflowData![0];
		expect(item.json.task_id).toBe(grid.task_id);
		expect(item.json).not.toHaveProperty('action');
	});
});
