/**
 * Bad input, API errors and faults: what the user sees, that retries never re-send a submission
 * the API may have accepted, and that every input item comes out (or fails the run) exactly once.
 */
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { encodeRgbPng } from '../fake-api/pngs';
import { RATE_LIMITED_SUBMIT_ATTEMPTS } from '../../nodes/shared/pacing';
import type { InputItem } from '../harness';
import { CAT, runEdit, TOKEN } from '../support/nodeRun';

const PNG_8X8 = encodeRgbPng(8, 8, () => [200, 120, 40]);

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 200, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

const submitCount = () => fake.count('POST', '/midjourney/edits');
const descriptionOf = (error: unknown) => String((error as { description?: string }).description ?? '');

describe('validation before any request', () => {
	it.each([
		['an empty prompt', { ...CAT, prompt: '   ' }, {}, /'Prompt' is empty \[item 1\]/],
		['an empty image URL', { ...CAT, imageUrl: '' }, {}, /'Image URL' is empty/],
		['a non-http image URL', { ...CAT, imageUrl: 'ftp://example.com/cat.jpg' }, {}, /'Image URL' must be an http\(s\) link/],
		['a URL that is not a URL', { ...CAT, imageUrl: 'cat.jpg' }, {}, /'Image URL' is not a valid URL/],
		['credentials in the image URL', { ...CAT, imageUrl: 'https://user:secret@example.com/cat.jpg' }, {}, /must not contain a user name or password/],
		['an unknown mode', CAT, { mode: 'ludicrous' }, /'Speed' must be fast, relax or turbo/],
		['a poll interval of 0', CAT, { options: { pollIntervalSeconds: 0 } }, /'Poll Interval \(Seconds\)' must be a number from 1 to 300/],
		['a negative timeout', CAT, { options: { timeoutSeconds: -5 } }, /'Timeout \(Seconds\)' must be a number from 1 to 86400/],
		['an invalid base64 mask', CAT, { options: { maskBase64: '%%%' } }, /'Mask as Text' is not valid base64/],
		['a mask that is not an image', CAT, { options: { maskBase64: Buffer.from('hello world').toString('base64') } }, /mask.*is not a PNG, JPEG, WebP or GIF image/],
	])('%s fails with the field named and sends nothing', async (_case, json, parameters, message) => {
		const result = await runEdit(fake, [{ json }], parameters);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(message);
		expect(fake.requests).toHaveLength(0);
	});

	it.each<[string, InputItem[], Record<string, unknown>, RegExp]>([
		[
			'a mask file that is missing',
			[
				{ json: CAT, binary: { mask: { data: PNG_8X8, mimeType: 'image/png' } } },
				{ json: CAT, binary: { photo: { data: PNG_8X8, mimeType: 'image/png' } } },
			],
			{ options: { maskBinaryPropertyName: 'mask' } },
			/item 2/,
		],
		[
			'an input file that is missing',
			[
				{ json: { prompt: CAT.prompt }, binary: { data: { data: PNG_8X8, mimeType: 'image/png' } } },
				{ json: { prompt: CAT.prompt }, binary: { photo: { data: PNG_8X8, mimeType: 'image/png' } } },
			],
			{ imageSource: 'binary', binaryPropertyName: 'data' },
			/item 2/,
		],
	])('prepares every item\'s files before submitting any: %s in item 2 means nothing is submitted, even one item at a time', async (_case, input, parameters, message) => {
		const options = { ...((parameters.options as Record<string, unknown> | undefined) ?? {}), concurrency: 1 };
		const result = await runEdit(fake, input, { ...parameters, options });
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(message);
		expect(submitCount()).toBe(0);
	});

	it('checks every item before submitting any: a bad second item stops the first too', async () => {
		const result = await runEdit(fake, [{ json: CAT }, { json: { ...CAT, prompt: '' } }]);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/item 2/);
		expect(fake.requests).toHaveLength(0);
	});
});

describe('API errors', () => {
	it('401: tells the user to check the API token in the credential, and never shows the token', async () => {
		const result = await runEdit(fake, [{ json: CAT }], {}, { token: 'wrong-token-value' });
		expect(result.status).toBe('error');
		expect(result.error?.message).toBe('The Ace Data Cloud API rejected the API token [item 1]');
		expect(descriptionOf(result.error)).toMatch(/'API Token' in your 'Ace Data Cloud API' credential/);
		expect(JSON.stringify(result.runExecutionData)).not.toContain('wrong-token-value');
		expect(submitCount()).toBe(1);
	});

	it.each([
		['forbidden', /content moderation/],
		['used_up', /balance is used up/],
		['disabled', /disabled/],
	])('403 %s is explained', async (code, message) => {
		fake.faults.submitForbidden = 1;
		fake.faults.forbiddenCode = code;
		const result = await runEdit(fake, [{ json: CAT }]);
		expect(result.error?.message).toMatch(message);
		expect(submitCount()).toBe(1);
	});

	it('429 on submit: waits as told by Retry-After and sends again (the API took nothing)', async () => {
		fake.faults.submitRateLimit = 2;
		fake.faults.retryAfterSeconds = 1;
		const started = Date.now();
		const result = await runEdit(fake, [{ json: CAT }]);
		expect(result.status).toBe('success');
		expect(submitCount()).toBe(3);
		expect(fake.tasks.size).toBe(1);
		expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
	});

	it('under Continue On Fail a refused submission is that item\'s error item, and the other items go on', async () => {
		fake.faults.submitForbidden = 1;
		const result = await runEdit(fake, [{ json: CAT }, { json: { ...CAT, prompt: 'the second edit' } }], { options: { concurrency: 1, pollIntervalSeconds: 1 } }, {
			nodeSettings: { 'Midjourney Edits': { onError: 'continueRegularOutput' } },
		});
		expect(result.status).toBe('success');
		const output = result.nodeOutputs('Midjourney Edits');
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(output[0].json.error).toMatch(/content moderation/);
		expect(output[0].json.task_id).toBeUndefined();
		expect(output[1].json).toMatchObject({ success: true, task_id: [...fake.tasks.keys()][0] });
		expect(submitCount()).toBe(2);
		expect(fake.tasks.size).toBe(1);
	});

	it('429 that does not stop: gives up with a rate-limit message', async () => {
		fake.faults.submitRateLimit = 100;
		fake.faults.retryAfterSeconds = 0;
		const result = await runEdit(fake, [{ json: CAT }]);
		expect(result.status).toBe('error');
		expect(result.error?.message).toContain(`rate limiting requests (HTTP 429) after ${RATE_LIMITED_SUBMIT_ATTEMPTS} attempts`);
		expect(fake.tasks.size).toBe(0);
	}, 60_000);

	it('500 on submit: not sent again, and the user is told the task may exist', async () => {
		fake.faults.submitServerError = 1;
		fake.faults.serverErrorCreatesTask = true;
		const result = await runEdit(fake, [{ json: CAT }]);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/HTTP 500.*while submitting the edit/);
		expect(descriptionOf(result.error)).toMatch(/NOT sent again/);
		expect(submitCount()).toBe(1);
	});

	it('a dropped connection on submit: not sent again', async () => {
		fake.faults.submitDropConnection = 1;
		const result = await runEdit(fake, [{ json: CAT }]);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/Could not reach the Ace Data Cloud API.*while submitting/);
		expect(submitCount()).toBe(1);
		expect(fake.tasks.size).toBe(1);
	});

	it('a refused connection is safe to retry, but gives up with a clear message', async () => {
		const result = await runEdit(fake, [{ json: CAT }], {}, {
			credentials: { aceDataCloudApi: { apiToken: TOKEN, baseUrl: 'http://127.0.0.1:9', platformBaseUrl: 'http://127.0.0.1:9' } },
		});
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/Could not reach the Ace Data Cloud API \(connection refused\) after 3 attempts/);
	}, 60_000);

	it.each([
		['5xx', 'tasksServerError'],
		['dropped connections', 'tasksDropConnection'],
		['malformed JSON', 'tasksMalformedJson'],
		['429', 'tasksRateLimit'],
	] as const)('%s on the tasks endpoint only cost a poll round', async (_case, fault) => {
		fake.faults[fault] = 2;
		fake.faults.retryAfterSeconds = 0;
		const result = await runEdit(fake, [{ json: CAT }]);
		expect(result.status).toBe('success');
		expect(result.nodeOutputs('Midjourney Edits')[0].json.success).toBe(true);
		expect(submitCount()).toBe(1);
		expect(fake.tasksRequestsFor('retrieve_batch').length).toBeGreaterThanOrEqual(3);
	});
});

describe('continue on fail', () => {
	it('turns each failing item into an error item and lets the others succeed, in input order', async () => {
		const input = [
			{ json: CAT },
			{ json: { ...CAT, prompt: '' } },
			{ json: { ...CAT, prompt: 'moderated [fail]' } },
			{ json: { ...CAT, imageUrl: 'not a url' } },
			{ json: { ...CAT, prompt: 'another good one' } },
		];
		const result = await runEdit(fake, input, {}, { nodeSettings: { 'Midjourney Edits': { onError: 'continueRegularOutput' } } });
		expect(result.status).toBe('success');
		const output = result.nodeOutputs('Midjourney Edits');
		expect(output.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3, 4].map((item) => ({ item })));
		expect(output[0].json.success).toBe(true);
		expect(output[1].json.error).toMatch(/'Prompt' is empty \[item 2\]/);
		expect(output[2].json.error).toMatch(/moderation/);
		expect(output[2].json.task_id).toEqual(expect.any(String));
		expect(output[3].json.error).toMatch(/'Image URL' is not a valid URL/);
		expect(output[4].json.success).toBe(true);
		expect(submitCount()).toBe(3);
	});

	it('without it, a failing task fails the run but names the tasks already paid for', async () => {
		const input = [{ json: CAT }, { json: { ...CAT, prompt: 'moderated [fail]' } }];
		const result = await runEdit(fake, input);
		expect(result.status).toBe('error');
		const goodTask = [...fake.tasks.values()].find((task) => task.state === 'succeeded')!;
		expect(descriptionOf(result.error)).toContain(`item 1: ${goodTask.record.id}`);
	});
});
