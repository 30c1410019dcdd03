import type { IDataObject, INodeExecutionData, IWebhookFunctions } from 'n8n-workflow';

import { verifyCallbackSignature } from './callbackSignature';
import { CREDENTIAL_TYPE } from './constants';
import { taskFailureToNodeApiError } from './errors';
import { isObject } from './json';
import type { DownloadImages } from './resultItems';
import { resultItemsFor } from './resultItems';
import type { TaskOutcome } from './taskOutcome';
import { outcomeFromResult } from './taskOutcome';

/**
 * Checks the signature our node put on the callback URL it handed to the API. Answers a request
 * that fails the check itself (401 unsigned, 403 signed wrongly; nothing about why beyond that) and
 * returns false, so the caller starts or resumes nothing.
 */
export async function acceptSignedCallback(
	ctx: IWebhookFunctions,
	pathname: string,
	maxAgeSeconds: number,
): Promise<boolean> {
	const { apiToken } = await ctx.getCredentials(CREDENTIAL_TYPE);
	const check = verifyCallbackSignature(pathname, ctx.getQueryData() as IDataObject, String(apiToken ?? ''), {
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
 * Reads a callback body (the flat result shape, with task_id). Answers 400 itself and returns
 * undefined for a body that is not one; a body still in progress is answered 200 and also ignored.
 */
export function readFinishedCallback(
	ctx: IWebhookFunctions,
): { body: IDataObject; outcome: TaskOutcome } | undefined {
	const body = ctx.getBodyData();
	const res = ctx.getResponseObject();
	if (!isObject(body) || typeof body.task_id !== 'string' || body.task_id.trim() === '') {
		res.status(400).json({ error: 'Expected a JSON body with a task_id' });
		return undefined;
	}
	const outcome = outcomeFromResult(body, body.task_id);
	if (outcome.state === 'running') {
		res.status(200).json({ received: true });
		return undefined;
	}
	return { body, outcome };
}

/**
 * Output items for a finished callback. A webhook cannot fail an execution, so a failed task and a
 * failed download both come out as items carrying `error` next to the API's fields.
 */
export async function callbackItems(
	ctx: IWebhookFunctions,
	callback: { body: IDataObject; outcome: TaskOutcome },
	download: DownloadImages,
	pairedItemIndex?: number,
): Promise<INodeExecutionData[]> {
	const { body, outcome } = callback;
	const pairedItem = pairedItemIndex === undefined ? {} : { pairedItem: { item: pairedItemIndex } };
	if (outcome.state === 'succeeded') {
		try {
			return await resultItemsFor(ctx, outcome.result!, download, pairedItemIndex ?? 0, true);
		} catch (error) {
			return [{ json: { ...outcome.result!, error: (error as Error).message }, ...pairedItem }];
		}
	}
	const error = taskFailureToNodeApiError(ctx.getNode(), outcome.taskId, outcome.error ?? {});
	return [{ json: { ...body, error: error.message, description: error.description ?? undefined }, ...pairedItem }];
}
