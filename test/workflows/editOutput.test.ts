/**
 * Issue 15: what a no-code user gets without touching Options (the grid as a file, simplified JSON),
 * the one Output choice (grid file / four files / links), Simplify off, and what an AI agent gets.
 */
import type { INodeParameters } from 'n8n-workflow';

import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { runWorkflow } from '../harness';
import { MidjourneyEdits } from '../../nodes/MidjourneyEdits/MidjourneyEdits.node';
import { CAT, credentialsFor, fixture, NODE_TYPES, runEdit, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 200, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

const submitBodies = () => fake.requests.filter((entry) => entry.path === '/midjourney/edits').map((entry) => entry.body as Record<string, unknown>);
const SIMPLIFIED_KEYS = ['task_id', 'status', 'image_url', 'sub_image_urls', 'image_width', 'image_height', 'image_id', 'actions', 'success', 'error'];

async function runFixture(name: string, parameters: INodeParameters = {}) {
	return await runWorkflow(fixture(name), {
		nodeTypes: { ...NODE_TYPES, 'n8n-nodes-midjourney-edits.midjourneyEditsTool': MidjourneyEdits },
		credentials: credentialsFor(fake),
		input: [{ json: CAT }],
		parameters: { 'Midjourney Edits': parameters },
	});
}

describe('Edit output', () => {
	it('with every choice at its default, outputs the edited grid as a file and the fields a user maps next', async () => {
		const result = await runFixture('edit-defaults.workflow.json');
		expect(result.status).toBe('success');
		const [item, ...more] = result.nodeOutputs('Midjourney Edits');
		expect(more).toHaveLength(0);
		expect(item.binary?.data?.mimeType).toBe('image/png');
		expect(Object.keys(item.json).every((key) => SIMPLIFIED_KEYS.includes(key))).toBe(true);
		expect(item.json).toMatchObject({ task_id: expect.any(String), image_url: expect.any(String), image_width: 960 });
		// What a follow-up (upscale, variation) needs from the result stays in the simplified output.
		expect(item.json).toMatchObject({ image_id: expect.any(String), actions: expect.arrayContaining(['upscale1']) });
		// The grid needs no split: the API is not asked for one.
		expect(submitBodies()[0]).not.toHaveProperty('split_images');
	});

	it('Simplify off gives the API fields as before', async () => {
		const result = await runFixture('edit-defaults.workflow.json', { options: { simplify: false } });
		const [item] = result.nodeOutputs('Midjourney Edits');
		for (const field of ['image_id', 'raw_image_url', 'raw_image_width', 'raw_image_height']) {
			expect(item.json).toHaveProperty(field);
		}
	});

	it('Links Only outputs no file, with the links to the grid and to its four images', async () => {
		const result = await runEdit(fake, [{ json: CAT }], { output: 'links' });
		const [item] = result.nodeOutputs('Midjourney Edits');
		expect(item.binary).toBeUndefined();
		expect(typeof item.json.image_url).toBe('string');
		expect(item.json.sub_image_urls).toHaveLength(4);
		expect(submitBodies()[0]).toMatchObject({ split_images: true });
	});

	it('Four Image Files asks the API to split the grid and outputs four files', async () => {
		const result = await runEdit(fake, [{ json: CAT }], { output: 'split' });
		expect(submitBodies()[0]).toMatchObject({ split_images: true });
		const items = result.nodeOutputs('Midjourney Edits');
		expect(items).toHaveLength(4);
		expect(items.every((item) => item.binary?.data !== undefined)).toBe(true);
	});

	it('refuses an unknown Output choice before any request', async () => {
		const result = await runEdit(fake, [{ json: CAT }], { output: 'pdf' });
		expect(result.error?.message).toMatch(/'Output'/);
		expect(fake.requests).toHaveLength(0);
	});

	it('refuses two masks at once before any request', async () => {
		const result = await runEdit(fake, [{ json: CAT }], { options: { maskBinaryPropertyName: 'mask', maskBase64: 'aGVsbG8=' } });
		expect(result.error?.message).toMatch(/Two masks given \[item 1\]/);
		expect(fake.requests).toHaveLength(0);
	});
});

describe('as an AI agent tool', () => {
	it('polls and outputs simplified links whatever wait and output the saved node has', async () => {
		const result = await runFixture('edit-as-tool.workflow.json');
		expect(result.status).toBe('success');
		const [item, ...more] = result.nodeOutputs('Midjourney Edits');
		expect(more).toHaveLength(0);
		expect(item.binary).toBeUndefined();
		expect(Object.keys(item.json).every((key) => SIMPLIFIED_KEYS.includes(key))).toBe(true);
		expect(typeof item.json.image_url).toBe('string');
		// Polled: no callback address was sent.
		expect(submitBodies()[0]).not.toHaveProperty('callback_url');
	}, 60_000);
});
