/* eslint-disable @n8n/community-nodes/no-restricted-globals -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import { apiFailureOf, cannotHaveBeenAccepted, explainApiFailure, failureToNodeApiError, isTransient } from '../../nodes/shared/errors';
import { decodeBase64Strict, extensionFor, sniffImageKind, stripDataUriPrefix } from '../../nodes/shared/images';
import { mapWithConcurrency } from '../../nodes/shared/pacing';
import { normaliseResult, outcomeFromRecord, outcomeFromResult, recordForOutput } from '../../nodes/shared/taskOutcome';
import { parseRetryAfter } from '../../nodes/shared/transport';
import { parseTaskIds } from '../../nodes/MidjourneyEdits/actions/task/getMany.operation';
import { loadExample } from '../support/examples';

const node = {
	id: 'n1',
	name: 'Midjourney Edits',
	type: 'n8n-nodes-midjourney-edits.midjourneyEdits',
	typeVersion: 1,
	position: [0, 0] as [number, number],
	parameters: {},
};

describe('error mapping', () => {
	it('tells a user what to do for each documented status', () => {
		expect(explainApiFailure({ status: 401, code: 'invalid_token' }, 'submit').description).toMatch(/API Token.*credential/);
		expect(explainApiFailure({ status: 403, code: 'forbidden' }, 'submit').message).toMatch(/moderation/);
		expect(explainApiFailure({ status: 403, code: 'used_up' }, 'submit').message).toMatch(/balance/);
		expect(explainApiFailure({ status: 429 }, 'submit', 6).message).toMatch(/rate limiting.*after 6 attempts/);
		// The node grows the number of open submissions up to Max Concurrency (issue 16): that is the limit to set.
		expect(explainApiFailure({ status: 429 }, 'submit', 6).description).toMatch(/set 'Max Concurrency' under 'Options' to what your plan allows/);
		expect(explainApiFailure({ status: 400, message: 'prompt is required' }, 'submit').description).toMatch(/prompt is required/);
		expect(explainApiFailure({ status: 504 }, 'read').message).toMatch(/504/);
	});

	it('says a failed submission was not re-sent and may be billed', () => {
		const { description } = explainApiFailure({ status: 500, code: 'api_error' }, 'submit');
		expect(description).toMatch(/NOT sent again/);
		expect(explainApiFailure({ code: 'ECONNRESET' }, 'submit').description).toMatch(/NOT sent again/);
		expect(explainApiFailure({ status: 500 }, 'read').description).not.toMatch(/NOT sent again/);
	});

	it('names the token used when an upload is refused', () => {
		expect(explainApiFailure({ status: 401 }, 'upload').description).toMatch(/'Platform Token' in your 'Ace Data Cloud API' credential/);
	});

	it('retries a submission only where the API cannot have taken it', () => {
		expect(cannotHaveBeenAccepted({ status: 429 })).toBe(true);
		expect(cannotHaveBeenAccepted({ code: 'ECONNREFUSED' })).toBe(true);
		expect(cannotHaveBeenAccepted({ code: 'ECONNRESET' })).toBe(false);
		expect(cannotHaveBeenAccepted({ status: 500 })).toBe(false);
		expect(isTransient({ status: 502 })).toBe(true);
		expect(isTransient({ status: 401 })).toBe(false);
		expect(isTransient({ status: 200, code: 'malformed_response' })).toBe(true);
	});

	it('keeps the failure behind a NodeApiError, and no token in it', () => {
		const error = failureToNodeApiError(node, { status: 401, code: 'invalid_token', message: 'bad', traceId: 't-1' }, 'read');
		expect(apiFailureOf(error)).toMatchObject({ status: 401, code: 'invalid_token' });
		expect(error.httpCode).toBe('401');
		expect(error.description).toMatch(/trace id t-1/);
	});
});

describe('task outcomes', () => {
	it('reads the example records like the vendor clients do', () => {
		expect(outcomeFromRecord(loadExample('task-record.json'), 'x').state).toBe('succeeded');
		expect(outcomeFromRecord(loadExample('task-record-running.json'), 'x').state).toBe('running');
		expect(outcomeFromRecord({}, 'unknown-id')).toEqual({ state: 'not_found', taskId: 'unknown-id' });
		expect(outcomeFromResult(loadExample('callback-failure.assumed.json')).state).toBe('failed');
		expect(outcomeFromResult(loadExample('callback-success.json')).state).toBe('succeeded');
	});

	it('accepts sizes typed as strings and outputs numbers', () => {
		expect(normaliseResult({ image_width: '960', image_height: 1200, raw_image_width: 'x' })).toEqual({
			image_width: 960,
			image_height: 1200,
			raw_image_width: 'x',
		});
	});

	it('gives task records a readable status', () => {
		expect(recordForOutput({}, 'nope')).toEqual({ id: 'nope', status: 'not_found' });
		expect(recordForOutput(loadExample('task-record-running.json'), 'x').status).toBe('running');
	});
});

describe('small parsers', () => {
	it('parses Retry-After as seconds or a date', () => {
		expect(parseRetryAfter('3')).toBe(3);
		expect(parseRetryAfter(undefined)).toBeUndefined();
		const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
		expect(parseRetryAfter(inTenSeconds)).toBeGreaterThan(5);
	});

	it('splits task ids on commas, spaces and new lines, without duplicates', () => {
		expect(parseTaskIds('a, b\nc;; a')).toEqual(['a', 'b', 'c']);
		expect(parseTaskIds(['x', ' y '])).toEqual(['x', 'y']);
		expect(parseTaskIds('')).toEqual([]);
	});

	it('recognises image formats by their bytes', () => {
		expect(sniffImageKind(Buffer.from('89504e470d0a1a0a0000', 'hex'))?.mimeType).toBe('image/png');
		expect(sniffImageKind(Buffer.from('ffd8ffe0', 'hex'))?.extension).toBe('jpg');
		expect(sniffImageKind(Buffer.from('RIFF0000WEBPVP8 ', 'ascii'))?.mimeType).toBe('image/webp');
		expect(sniffImageKind(Buffer.from('GIF89a', 'ascii'))?.mimeType).toBe('image/gif');
		expect(sniffImageKind(Buffer.from('<html>', 'ascii'))).toBeUndefined();
	});

	it('strips a data URI prefix and rejects text that is not base64', () => {
		expect(stripDataUriPrefix('data:image/png;base64,iVBO Rw0=')).toBe('iVBORw0=');
		expect(decodeBase64Strict('not base64!')).toBeUndefined();
		expect(decodeBase64Strict('aGVsbG8=')?.toString()).toBe('hello');
	});

	it('names files from the content type, then the URL', () => {
		expect(extensionFor('image/jpeg', 'https://x/a.png')).toBe('jpg');
		expect(extensionFor('application/octet-stream', 'https://x/a.webp?ex=1')).toBe('webp');
		expect(extensionFor(undefined, 'https://x/a')).toBe('png');
	});

	it('runs at most N tasks at once and keeps order', async () => {
		let running = 0;
		let peak = 0;
		const results = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async (value) => {
			running++;
			peak = Math.max(peak, running);
			await new Promise((resolve) => setTimeout(resolve, value * 3));
			running--;
			return value * 10;
		});
		expect(results).toEqual([50, 10, 40, 20, 30]);
		expect(peak).toBe(2);
	});
});
