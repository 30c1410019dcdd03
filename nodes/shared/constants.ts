/** The credential both nodes use; its name is public interface (saved workflows reference it). */
export const CREDENTIAL_TYPE = 'aceDataCloudApi';

export const DEFAULT_API_BASE_URL = 'https://api.acedata.cloud';
export const DEFAULT_PLATFORM_BASE_URL = 'https://platform.acedata.cloud';

export const EDITS_PATH = '/midjourney/edits';
/**
 * Follow-up actions (upscale, vary, reroll, zoom out, pan) on a finished result. ASSUMPTION (contract):
 * the service accepts an edit's image_id here, though no vendor source shows it; the Midjourney
 * Imagine service may need acquiring on its own (a 404 no_api then names it, see errors.ts).
 */
export const IMAGINE_PATH = '/midjourney/imagine';
export const TASKS_PATH = '/midjourney/tasks';
export const FILES_PATH = '/api/v1/files/';

export const MIDJOURNEY_MODES = ['fast', 'relax', 'turbo'] as const;
export type MidjourneyMode = (typeof MIDJOURNEY_MODES)[number];

/**
 * retrieve_batch pages. The vendor's OpenAPI file documents a default `limit` of 12 and no maximum.
 * We ask for up to 50 ids per request, with an explicit `limit`: while the API serves such pages,
 * a poll round of up to 50 tasks costs one request (the benchmark's figure). If the API cuts pages
 * short, fetchTaskRecords asks again for the missing ids in pages no bigger than the one it filled
 * (a silent cap of 12 then costs as many requests as pages of 12 would); if it refuses a page that
 * big as invalid (400), it falls back to the documented 12. Assumption: an unknown maximum is
 * either honoured, capped silently, or refused with a 400.
 */
export const TASKS_PAGE_SIZE = 50;
export const TASKS_DOCUMENTED_PAGE_LIMIT = 12;
