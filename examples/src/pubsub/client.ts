import { PubSub } from '@google-cloud/pubsub';

export const pubsub = new PubSub({ projectId: process.env.GCP_PROJECT_ID ?? 'acme-billing' });
