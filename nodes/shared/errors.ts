import type { IDataObject, INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

/** What went wrong talking to Ace Data Cloud, reduced to what a user can act on. Never holds the token. */
export interface ApiFailure {
	/** HTTP status, absent when no answer came (network error). */
	status?: number;
	/** The API's `error.code` (e.g. invalid_token), or a network error code (e.g. ECONNRESET). */
	code?: string;
	/** The API's `error.message`, or the network error's message. */
	message?: string;
	traceId?: string;
	/** Seconds the API asked us to wait (429 Retry-After). */
	retryAfterSeconds?: number;
}

/**
 * Which request failed matters for what the user must do: a failed submission may still have
 * created (and billed) a task, a failed read never does.
 */
export type RequestStage = 'submit' | 'read' | 'upload' | 'download';

/**
 * Which Midjourney API a request went to: Edits, or Imagine (the follow-up actions). The platform
 * may list them as separate services, each acquired on its own (contract: an assumption).
 */
export type ApiService = 'edits' | 'imagine';

/** Network failures where the request can never have reached the API, so re-sending is safe. */
const NEVER_DELIVERED_NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

export function isNetworkFailure(failure: ApiFailure): boolean {
	return failure.status === undefined;
}

/** True when the API cannot have accepted the request, so sending it again cannot bill twice. */
export function cannotHaveBeenAccepted(failure: ApiFailure): boolean {
	if (failure.status === 429) return true;
	return isNetworkFailure(failure) && NEVER_DELIVERED_NETWORK_CODES.has(failure.code ?? '');
}

/** Worth retrying when the request is harmless to repeat (reads, uploads, downloads). */
export function isTransient(failure: ApiFailure): boolean {
	if (isNetworkFailure(failure)) return true;
	const status = failure.status ?? 0;
	return status === 429 || status >= 500 || failure.code === 'malformed_response';
}

/** What a submission to each API is called in messages: an edit, or a follow-up on a result. */
const SUBMISSION_NOUN: Record<ApiService, string> = { edits: 'edit', imagine: 'follow-up' };

function notResentNote(service: ApiService): string {
	return (
		`The ${SUBMISSION_NOUN[service]} was NOT sent again automatically, because the API may have created (and will bill) the task anyway. ` +
		'Before running this item again, check whether the task exists: use Get Many (Task resource) with recent task ids, or your Ace Data Cloud console.'
	);
}

const NETWORK_WORDS: Record<string, string> = {
	ECONNREFUSED: 'connection refused',
	ECONNRESET: 'connection closed unexpectedly',
	ETIMEDOUT: 'timed out',
	ECONNABORTED: 'connection aborted',
	ENOTFOUND: 'host not found',
	EAI_AGAIN: 'host name lookup failed',
};

function apiSaid(failure: ApiFailure): string {
	const parts: string[] = [];
	if (failure.code) parts.push(failure.code);
	if (failure.message) parts.push(failure.message);
	const said = parts.join(': ');
	const trace = failure.traceId ? ` (trace id ${failure.traceId})` : '';
	return said ? ` The API said: ${said}${trace}.` : trace;
}

const CONSOLE_URL = 'https://platform.acedata.cloud';

/** Error codes that are about the token, whatever HTTP status carries them (400 or 401). */
const TOKEN_ERROR_CODES = new Set(['no_token', 'disabled', 'token_mismatched', 'invalid_token', 'token_expired']);

/**
 * A token problem is never a problem with the node's fields. Which token depends on the request:
 * the upload takes the Platform Token, everything else the API Token. Messages repeat what the API
 * said about THIS service and never claim a token works (or not) for every Ace Data Cloud service:
 * the vendor's own sources disagree on that.
 */
function explainTokenProblem(
	failure: ApiFailure,
	stage: RequestStage,
	said: string,
): { message: string; description: string } | undefined {
	const code = failure.code ?? '';
	if (!TOKEN_ERROR_CODES.has(code) && failure.status !== 401) return undefined;
	const upload = stage === 'upload';
	const field = upload ? 'Platform Token' : 'API Token';
	const where = upload
		? `the platform token from the Ace Data Cloud console (${CONSOLE_URL}); it starts with 'platform-'`
		: `the API token of an application that has the Midjourney service, from the Ace Data Cloud console (${CONSOLE_URL}, Applications → Credentials)`;
	const fix = `Put ${where} in the '${field}' field of your 'Ace Data Cloud API' credential and save it.`;
	const what = upload ? 'the platform file upload' : 'the Ace Data Cloud API';
	switch (code) {
		case 'no_token':
			return { message: `No token reached ${what} (the '${field}' is empty or was not sent)`, description: `${fix}${said}` };
		case 'disabled':
			return {
				message: `The token or its application is disabled (${what})`,
				description: `Enable the application or token in the Ace Data Cloud console (${CONSOLE_URL}), or create a new token; then update the '${field}' in your credential.${said}`,
			};
		case 'token_mismatched':
			return {
				message: `The '${field}' does not match this service (Midjourney), the API says`,
				description: `The token is valid but not for this service. ${fix}${said}`,
			};
		case 'token_expired':
			return { message: `The '${field}' has expired`, description: `Create a new token in the console. ${fix}${said}` };
		default:
			if (upload) {
				return {
					message: 'The Ace Data Cloud platform rejected the Platform Token for the file upload',
					description: `The platform's file upload takes a platform token (it starts with 'platform-'), not the API token. Add or check the 'Platform Token' in your 'Ace Data Cloud API' credential (from the Ace Data Cloud console, ${CONSOLE_URL}); or put the image somewhere public and set 'Image Source' to 'Image URL'.${said}`,
				};
			}
			return {
				message: 'The Ace Data Cloud API rejected the API token',
				description: `Check the 'API Token' in your 'Ace Data Cloud API' credential: copy it again from ${CONSOLE_URL} (Applications → Credentials) and save the credential.${said}`,
			};
	}
}

/** Turns a failure into the message and description shown in n8n's error panel. */
export function explainApiFailure(
	failure: ApiFailure,
	stage: RequestStage,
	attempts = 1,
	service: ApiService = 'edits',
): { message: string; description: string } {
	const status = failure.status;
	const said = apiSaid(failure);
	const tries = attempts > 1 ? ` after ${attempts} attempts` : '';

	if (status === undefined) {
		// Plain words, not the code: n8n swaps any message containing a network code for its own.
		const what = `Could not reach the Ace Data Cloud API (${NETWORK_WORDS[failure.code ?? ''] ?? 'no network connection'})${tries}`;
		if (stage === 'submit' && !cannotHaveBeenAccepted(failure)) {
			return { message: `${what} while submitting the ${SUBMISSION_NOUN[service]}`, description: `${notResentNote(service)}${said}` };
		}
		return {
			message: what,
			description: `Check that n8n can reach the API Base URL set in the credential, and any proxy settings.${said}`,
		};
	}
	const tokenProblem = explainTokenProblem(failure, stage, said);
	if (tokenProblem) return tokenProblem;
	if (failure.code === 'no_api' && service === 'imagine') {
		// ASSUMPTION (contract): follow-ups go to the Midjourney Imagine API, which may need its own acquisition.
		return {
			message: 'The Midjourney Imagine service is not enabled for this Ace Data Cloud application',
			description: `The API answered 'no_api' to a follow-up action (Upscale, Vary, Reroll, Zoom Out, Pan), which goes through the Midjourney Imagine API. In the Ace Data Cloud console (${CONSOLE_URL}), open the Midjourney Imagine service and acquire (apply for) it for the application your API Token belongs to, or use a token of an application that has it. Nothing was billed.${said}`,
		};
	}
	if (failure.code === 'no_api') {
		return {
			message: 'The Midjourney service is not enabled for this Ace Data Cloud application',
			description: `The API answered 'no_api': the application your API Token belongs to has not acquired the Midjourney service. In the Ace Data Cloud console (${CONSOLE_URL}), open the Midjourney service and acquire (apply for) it for this application, or use a token of an application that has it. Nothing was billed.${said}`,
		};
	}
	if (status === 403 || failure.code === 'used_up' || failure.code === 'forbidden') {
		if (failure.code === 'used_up') {
			return {
				message: 'Your Ace Data Cloud balance is used up',
				description: `Top up your balance (or buy a package for the Midjourney service) at ${CONSOLE_URL}, then run the workflow again. Nothing was billed for this request.${said}`,
			};
		}
		if (failure.code === 'forbidden' || stage === 'submit') {
			return {
				message: 'Midjourney refused this request (content moderation)',
				description: `Reword the prompt or use another image: Midjourney's moderators rejected it.${said}`,
			};
		}
		return {
			message: `Ace Data Cloud refused the request (HTTP 403)`,
			description: `Check your account and the service's settings at ${CONSOLE_URL}.${said}`,
		};
	}
	if (status === 429) {
		return {
			message: `Ace Data Cloud is rate limiting requests (HTTP 429)${tries}`,
			description: `Too many requests at once for your plan. The node starts at 'Concurrency' and grows up to 'Max Concurrency' until the API refuses: set 'Max Concurrency' under 'Options' to what your plan allows, or run fewer items at a time.${said}`,
		};
	}
	if (failure.code === 'malformed_response') {
		return {
			message: `The Ace Data Cloud API sent an answer that could not be read${tries}`,
			description:
				stage === 'submit'
					? `${notResentNote(service)}${said}`
					: `The answer was not the JSON the API documents; try again later.${said}`,
		};
	}
	if (status === 400) {
		return {
			message: 'The Ace Data Cloud API rejected the request as invalid',
			description: `Check the node's fields ('Image URL', 'Prompt', 'Speed', and the mask under 'Options').${said}`,
		};
	}
	if (status === 404) {
		return {
			message: `The ${stage === 'upload' ? 'platform upload' : 'Ace Data Cloud API'} answered 404 (not found)`,
			description: `Check the '${stage === 'upload' ? 'Platform Base URL' : 'API Base URL'}' in your credential (leave it at its default unless you use a proxy).${said}`,
		};
	}
	if (status === 504) {
		return {
			message: 'Midjourney took too long and the API gave up (HTTP 504 timeout)',
			description:
				stage === 'submit'
					? `${notResentNote(service)}${said}`
					: `Try again later, or with 'Speed' set to 'Relax' at a quieter time.${said}`,
		};
	}
	if (status >= 500) {
		return {
			message: `The Ace Data Cloud API failed (HTTP ${status})${tries}${stage === 'submit' ? ` while submitting the ${SUBMISSION_NOUN[service]}` : ''}`,
			description:
				stage === 'submit' ? `${notResentNote(service)}${said}` : `Ace Data Cloud could not handle the request this time: try again later.${said}`,
		};
	}
	return {
		message: `The Ace Data Cloud API answered HTTP ${status}`,
		description: `Unexpected answer.${said}`,
	};
}

/** n8n's way to name the input item an error belongs to, at the end of the message: ` [item 2]`. */
export function itemSuffix(itemIndex: number | undefined): string {
	return itemIndex === undefined ? '' : ` [item ${itemIndex + 1}]`;
}

/** The failure behind an error we raised, so callers can decide on retries without parsing text. */
const failures = new WeakMap<object, ApiFailure>();

export function apiFailureOf(error: unknown): ApiFailure | undefined {
	return typeof error === 'object' && error !== null ? failures.get(error) : undefined;
}

export function failureToNodeApiError(
	node: INode,
	failure: ApiFailure,
	stage: RequestStage,
	options: { itemIndex?: number; attempts?: number; prefix?: string; service?: ApiService } = {},
): NodeApiError {
	const { message, description } = explainApiFailure(failure, stage, options.attempts, options.service);
	const errorResponse: IDataObject = {
		status: failure.status ?? null,
		// Not `code`/`error_code`: n8n reads those as a status and swaps network codes for its own text.
		api_error: failure.code ?? null,
		message: failure.message ?? null,
		trace_id: failure.traceId ?? null,
	};
	const error = new NodeApiError(node, errorResponse as JsonObject, {
		message: `${options.prefix ? `${options.prefix}: ${message}` : message}${itemSuffix(options.itemIndex)}`,
		description,
		httpCode: failure.status !== undefined ? String(failure.status) : undefined,
		itemIndex: options.itemIndex,
	});
	failures.set(error, failure);
	return error;
}

/** Error of a task that Midjourney finished unsuccessfully (from a task record or a callback). */
export function taskFailureToNodeApiError(
	node: INode,
	taskId: string,
	error: { code?: string; message?: string },
	itemIndex?: number,
	/** What the task makes: 'edit', or the follow-up ('upscale', 'upscale quarter 2'...). */
	noun = 'edit',
): NodeApiError {
	const failure: ApiFailure = { status: 403, code: error.code, message: error.message };
	const moderation = error.code === 'forbidden';
	return new NodeApiError(
		node,
		{ task_id: taskId, api_error: error.code ?? null, message: error.message ?? null } as JsonObject,
		{
			message: `${
				moderation ? `Midjourney refused the ${noun} (task ${taskId}): content moderation` : `Midjourney could not finish the ${noun} (task ${taskId})`
			}${itemSuffix(itemIndex)}`,
			description: `${moderation ? 'Reword the prompt or use another image.' : 'You can try the item again.'}${apiSaid(failure)}`,
			itemIndex,
		},
	);
}
