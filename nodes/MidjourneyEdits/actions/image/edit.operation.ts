import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { EDITS_PATH } from '../../../shared/constants';
import { editDescription } from './edit.description';
import { prepareEditBody } from './edit/inputs';
import type { EditPlan } from './edit/plan';
import { editRequestHash, readEditPlan } from './edit/plan';
import type { BatchOperation } from './submitAndWait';
import { submitAndWait } from './submitAndWait';

export const description: INodeProperties[] = editDescription;

/** Edit: an image and a prompt in, the edited 2x2 grid out (POST /midjourney/edits). */
export const editOperation: BatchOperation<EditPlan> = {
	path: EDITS_PATH,
	noun: 'edit',
	readPlan: readEditPlan,
	requestHash: editRequestHash,
	prepareBody: prepareEditBody,
};

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await submitAndWait(this, editOperation);
}
