/**
 * "Nothing else started" without a fixed sleep: after the requests that must start nothing more have
 * been answered, send one more genuine, signed callback (the marker) to the same trigger and wait for
 * the execution it starts. n8n handles a webhook request in order (the node runs, then the run is
 * registered, then the next request's), so once the marker's execution is listed, an execution
 * started by any earlier request is listed too (on 2.x the answer itself comes only after the
 * execution was created). A busy machine makes this slower, never wrong.
 */
import type { N8nExecution } from './n8nInstance';
import { nodeOutput } from './n8nInstance';
import { signCallbackUrl } from '../../nodes/shared/callbackSignature';
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';

export const TRIGGER_NODE = 'Midjourney Edits Trigger';

/** Every marker task sent so far: their executions are never counted as the test's own. */
const markerTaskIds = new Set<string>();

interface ExecutionSource {
	waitForExecution(
		predicate: (execution: N8nExecution) => boolean,
		options: { workflowId?: string; timeoutMs?: number },
	): Promise<N8nExecution>;
	listExecutions(options: { workflowId?: string; includeData?: boolean; limit?: number }): Promise<N8nExecution[]>;
}

/** The task id a trigger execution started with (undefined for one that did not run the trigger). */
export function triggerTaskId(execution: N8nExecution): unknown {
	try {
		return nodeOutput(execution, TRIGGER_NODE)[0]?.task_id;
	} catch {
		return undefined;
	}
}

/**
 * Delivers a marker callback (a real, finished task of the fake, signed with the token) to the
 * trigger's callback URL, waits for its execution, and returns the workflow's executions other than
 * the marker's, with their data.
 */
export async function executionsBeforeMarker(
	n8n: ExecutionSource,
	fake: FakeAceDataCloud,
	options: { workflowId: string; callbackUrl: string; token: string; timeoutMs?: number },
): Promise<N8nExecution[]> {
	const submitted = await fetch(`${fake.url}/midjourney/edits`, {
		method: 'POST',
		headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
		body: JSON.stringify({ action: 'generate', image_url: 'https://cdn.example.com/e2e/marker.png', prompt: 'marker', async: true }),
	});
	const { task_id: markerId } = (await submitted.json()) as { task_id: string };
	markerTaskIds.add(markerId);
	fake.finishTask(markerId, 'success');
	const delivery = await fake.deliverCallback(markerId, signCallbackUrl(options.callbackUrl, options.token));
	if (delivery.status !== 200) throw new Error(`the marker callback was answered ${delivery.status}`);
	await n8n.waitForExecution(
		(candidate) => candidate.status === 'success' && triggerTaskId(candidate) === markerId,
		{ workflowId: options.workflowId, timeoutMs: options.timeoutMs ?? 30_000 },
	);
	const all = await n8n.listExecutions({ workflowId: options.workflowId, includeData: true, limit: 250 });
	return all.filter((execution) => !markerTaskIds.has(String(triggerTaskId(execution))));
}
