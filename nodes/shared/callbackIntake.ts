import type { IDataObject, INodeExecutionData, IWebhookFunctions } from 'n8n-workflow';

import { verifyCallbackSignature } from './callbackSignature';
import { CREDENTIAL_TYPE } from './constants';
import { taskFailureToNodeApiError } from './errors';
import { FOLLOW_UP_ACTIONS, followUpActionOfRecord } from './followUpActions';
import { isObject } from './json';
import { fetchTaskRecords } from './polling';
import type { ResultOutput } from './resultItems';
import { resultItemsFor, simplifiedResult } from './resultItems';
import type { TaskOutcome } from './taskOutcome';
import { outcomeFromRecord } from './taskOutcome';

/**
 * A callback is a wake-up call, not a result: anyone who learns a callback URL can post to it. Both
 * the trigger and the "Wait for Callback" resume therefore take only the task_id from a posted
 * body, look the task up with our token, and build their output from the API's record alone.
 *
 * Task ids are UUIDs in every vendor example; this pattern also allows the other id styles the
 * vendor's tools print (letters, digits, `-`, `_`) and nothing that could escape a file name or
 * blow up stored data.
 */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

export function isValidTaskId(value: unknown): value is string {
	return typeof value === 'string' && TASK_ID_PATTERN.test(value);
}

/**
 * Checks the signature our node put on the callback URL it handed to the API, against the URL the
 * node knows as its own (not the one the request claims). Answers a request that fails the check
 * itself (401 unsigned, 403 signed wrongly; nothing about why beyond that) and returns false, so
 * the caller starts or resumes nothing.
 */
export async function acceptSignedCallback(
	ctx: IWebhookFunctions,
	ownUrl: string,
	maxAgeSeconds: number,
): Promise<boolean> {
	const { apiToken } = await ctx.getCredentials(CREDENTIAL_TYPE);
	const check = verifyCallbackSignature(ownUrl, ctx.getQueryData() as IDataObject, String(apiToken ?? ''), {
		maxAgeSeconds,
	});
	if (check.valid) return true;
	const unsigned = check.reason === 'missing';
	ctx.getResponseObject()
		.status(unsigned ? 401 : 403)
		.json({ error: unsigned ? 'Signature required' : 'Invalid signature' });
	return false;
}

/**
 * The task_id of a callback body, and nothing else from it. Answers 400 itself (without echoing
 * the value) and returns undefined when the body has no valid one.
 */
export function claimedTaskId(ctx: IWebhookFunctions): string | undefined {
	const body = ctx.getBodyData();
	const taskId = isObject(body) ? body.task_id : undefined;
	if (!isValidTaskId(taskId)) {
		ctx.getResponseObject()
			.status(400)
			.json({ error: 'Expected a JSON body with a task_id (letters, digits, - and _, at most 100)' });
		return undefined;
	}
	return taskId;
}

/**
 * Looks the tasks up with our token and reads each record's state (outcomeFromRecord is the one
 * place that decides it). When the lookup fails, answers 503 itself (the sender may try again;
 * nothing starts or resumes) and returns undefined.
 */
export async function lookUpOutcomes(
	ctx: IWebhookFunctions,
	taskIds: string[],
): Promise<Map<string, TaskOutcome> | undefined> {
	let records: Map<string, IDataObject>;
	try {
		records = await fetchTaskRecords(ctx, taskIds, { maxAttempts: 2 });
	} catch {
		ctx.getResponseObject().status(503).json({ error: 'Could not look the task up; try again later' });
		return undefined;
	}
	return new Map(
		taskIds.map((taskId) => {
			const record = records.get(taskId) ?? {};
			// Which follow-up made it is read from the record's request (the truth), never from the callback body.
			const action = followUpActionOfRecord(record);
			return [taskId, { ...outcomeFromRecord(record, taskId), ...(action ? { action } : {}) }];
		}),
	);
}

export function isFinished(outcome: TaskOutcome): boolean {
	return outcome.state === 'succeeded' || outcome.state === 'failed';
}

/**
 * Output items for a finished task, built from the API's record only. A webhook cannot fail an
 * execution, so a failed task and a failed download both come out as items carrying `error`.
 */
export async function callbackItems(
	ctx: IWebhookFunctions,
	outcome: TaskOutcome,
	output: ResultOutput,
	pairedItemIndex = 0,
	simplify = false,
): Promise<INodeExecutionData[]> {
	const pairedItem = { item: pairedItemIndex };
	const action = outcome.action ? { action: outcome.action } : {};
	if (outcome.state === 'succeeded' && outcome.result) {
		const full = { ...outcome.result, task_id: outcome.taskId };
		const result = { ...(simplify ? simplifiedResult(full) : full), ...action };
		try {
			return await resultItemsFor(ctx, result, output, pairedItemIndex, true);
		} catch (error) {
			return [{ json: { ...result, error: (error as Error).message }, pairedItem }];
		}
	}
	const noun = outcome.action ? FOLLOW_UP_ACTIONS[outcome.action].words.toLowerCase() : 'edit';
	const error = taskFailureToNodeApiError(ctx.getNode(), outcome.taskId, outcome.error ?? {}, undefined, noun);
	const json: IDataObject = {
		...(outcome.result ?? {}),
		task_id: outcome.taskId,
		...action,
		success: false,
		error: error.message,
	};
	if (error.description) json.description = error.description;
	return [{ json, pairedItem }];
}

const DEFAULT_MAX_CALLBACK_AGE_HOURS = 48;

/**
 * The trigger's "Max Callback Age (Hours)" in seconds. A value that is not a number (an expression
 * gone wrong) keeps the default instead of turning expiry off.
 */
export function maxCallbackAgeSeconds(hours: unknown): number {
	const value = typeof hours === 'string' && hours.trim() !== '' ? Number(hours) : hours;
	const valid = typeof value === 'number' && Number.isFinite(value) && value >= 0;
	return (valid ? value : DEFAULT_MAX_CALLBACK_AGE_HOURS) * 3600;
}
