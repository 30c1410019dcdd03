/**
 * Issue 13: the task record read as the vendor's own clients read it (contract, tasks section).
 * One function decides (outcomeFromRecord); these cases pin each reading, most from the
 * contract's example payloads.
 */
import type { IDataObject } from 'n8n-workflow';

import { outcomeFromRecord, outcomeFromResult, recordForOutput } from '../../nodes/shared/taskOutcome';
import { loadExample } from '../support/examples';

const ID = 'b8b7fdc2-628e-40dd-bc0c-671c3ddac9e9';
const base = { id: ID, type: 'edits', created_at: 1720364607.967, request: { action: 'generate' } };
const success = { success: true, task_id: ID, image_url: 'https://cdn.example.test/x.png' };

describe('outcomeFromRecord: the one reading of a task record', () => {
	const cases: Array<[string, IDataObject | null, string]> = [
		['the finished example record', loadExample('task-record.json'), 'succeeded'],
		['the running example record (no response)', loadExample('task-record-running.json'), 'running'],
		['state failed without a response (a failure, not a wait)', loadExample('task-record-failed-state.assumed.json'), 'failed'],
		['response.success false while state is generating', loadExample('task-record-generating-state.assumed.json'), 'running'],
		['state error', { ...base, state: 'error' }, 'failed'],
		['state cancelled', { ...base, state: 'cancelled' }, 'failed'],
		['state FAILED in capitals', { ...base, state: 'FAILED' }, 'failed'],
		['state pending', { ...base, state: 'pending' }, 'running'],
		[
			'response.success false with an error while finished_at is null',
			{ ...base, finished_at: null, response: { success: false, error: { code: 'x', message: 'y' } } },
			'running',
		],
		[
			'response.success false with an error on a finished record',
			{ ...base, finished_at: 1720364637.4, response: { success: false, error: { code: 'forbidden', message: 'no' } } },
			'failed',
		],
		[
			'response.success false with an error and state finished',
			{ ...base, state: 'finished', response: { success: false, error: { code: 'forbidden', message: 'no' } } },
			'failed',
		],
		[
			'response.success false with an error but no final signal at all',
			{ ...base, response: { success: false, error: { code: 'x', message: 'y' } } },
			'running',
		],
		['finished_at set and no response', { ...base, finished_at: 1720364637.4 }, 'failed'],
		['success true with progress 40 (intermediate image)', { ...base, response: { ...success, progress: 40 } }, 'running'],
		[
			'success true with progress 40 even when finished_at is set',
			{ ...base, finished_at: 1720364637.4, response: { ...success, progress: 40 } },
			'running',
		],
		['success true with progress "40" as a string', { ...base, response: { ...success, progress: '40' } }, 'running'],
		['success true with progress 100', { ...base, response: { ...success, progress: 100 } }, 'succeeded'],
		['success true without progress', { ...base, response: success }, 'succeeded'],
		['{} for an unknown id', {}, 'not_found'],
		['null for an unknown id (the Dify plugin reading)', null, 'not_found'],
	];
	it.each(cases.map(([what, record, expected]) => [what, expected, record] as const))('%s -> %s', (_what, expected, record) => {
		expect(outcomeFromRecord(record, ID).state).toBe(expected);
	});

	it('says why a failed-state record failed, without a response to read it from', () => {
		const outcome = outcomeFromRecord(loadExample('task-record-failed-state.assumed.json'), 'x');
		expect(outcome.error).toEqual({ code: 'failed', message: 'The task ended in state "failed" without a result' });
		expect(outcome.taskId).toBe('0c1f5a52-3e0b-4b8e-9d8a-2f1f4f0c7e21');
	});

	it("keeps the API's own error when a failed record has one", () => {
		const record = { ...base, state: 'failed', response: { success: false, error: { code: 'forbidden', message: 'moderated' } } };
		expect(outcomeFromRecord(record, ID).error).toEqual({ code: 'forbidden', message: 'moderated' });
	});
});

describe('outcomeFromResult: a flat body (sync answer, callback)', () => {
	it('does not take a progress callback (success true, progress 40) for the finished edit', () => {
		expect(outcomeFromResult(loadExample('callback-progress.assumed.json')).state).toBe('running');
	});

	it('still reads the final callback and the failure callback', () => {
		expect(outcomeFromResult(loadExample('callback-success.json')).state).toBe('succeeded');
		expect(outcomeFromResult(loadExample('callback-failure.assumed.json')).state).toBe('failed');
	});
});

describe('recordForOutput: Task Get / Get Many status', () => {
	it('calls a state-failed record failed and says why', () => {
		const output = recordForOutput(loadExample('task-record-failed-state.assumed.json'), 'x');
		expect(output).toMatchObject({ status: 'failed', state: 'failed', error: { code: 'failed' } });
	});

	it('calls a generating record with success false running', () => {
		expect(recordForOutput(loadExample('task-record-generating-state.assumed.json'), 'x').status).toBe('running');
	});

	it('calls a null body not_found', () => {
		expect(recordForOutput(null, 'nope')).toEqual({ id: 'nope', status: 'not_found' });
	});
});
