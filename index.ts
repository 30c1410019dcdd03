export { AceDataCloudApi } from './credentials/AceDataCloudApi.credentials';
export { MidjourneyEdits } from './nodes/MidjourneyEdits/MidjourneyEdits.node';
export { MidjourneyEditsTrigger } from './nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node';
