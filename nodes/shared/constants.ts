/** The credential both nodes use; its name is public interface (saved workflows reference it). */
export const CREDENTIAL_TYPE = 'aceDataCloudApi';

export const DEFAULT_API_BASE_URL = 'https://api.acedata.cloud';
export const DEFAULT_PLATFORM_BASE_URL = 'https://platform.acedata.cloud';

export const EDITS_PATH = '/midjourney/edits';
export const TASKS_PATH = '/midjourney/tasks';
export const FILES_PATH = '/api/v1/files/';

export const MIDJOURNEY_MODES = ['fast', 'relax', 'turbo'] as const;
export type MidjourneyMode = (typeof MIDJOURNEY_MODES)[number];

/**
 * retrieve_batch takes `offset`/`limit`; its default page size is not documented, so we always
 * send an explicit limit and never ask for more than this many ids in one request (assumption).
 */
export const MAX_IDS_PER_TASKS_REQUEST = 50;
