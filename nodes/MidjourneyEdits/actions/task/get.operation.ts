import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { asNodeError } from '../../../shared/nodeErrors';
import { TASKS_PATH } from '../../../shared/constants';
import { simplifiedTaskRecord, taskRecordForOutput } from './recordOutput';
import { aceApiRequest } from '../../../shared/transport';
import { getDescription } from './get.description';

export const description: INodeProperties[] = getDescription;

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const taskId = String(this.getNodeParameter('taskId', itemIndex, '') ?? '').trim();
			if (taskId === '') {
				throw new NodeOperationError(this.getNode(), `'Task ID' is empty [item ${itemIndex + 1}]`, {
					itemIndex,
					description: 'Map the task_id of a previous Midjourney Edits node, or paste one.',
				});
			}
			const record = await aceApiRequest(this, TASKS_PATH, { action: 'retrieve', id: taskId }, { stage: 'read', itemIndex });
			const simplify = this.getNodeParameter('simplify', itemIndex, true) !== false;
			const json = simplify ? simplifiedTaskRecord(record, taskId) : taskRecordForOutput(record, taskId);
			if (json.status === 'not_found') {
				throw new NodeApiError(
					this.getNode(),
					{ id: taskId },
					{
						message: `No task with ID '${taskId}' [item ${itemIndex + 1}]`,
						description: 'The API does not know this task ID. Check for typos, and that the task was created with the same Ace Data Cloud account.',
						httpCode: '404',
						itemIndex,
					},
				);
			}
			output.push({ json, pairedItem: { item: itemIndex } });
		} catch (error) {
			if (!this.continueOnFail()) throw asNodeError(this.getNode(), error, itemIndex);
			output.push({ json: { error: (error as Error).message }, pairedItem: { item: itemIndex } });
		}
	}
	return [output];
}
