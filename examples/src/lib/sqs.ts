import { SQSClient } from '@aws-sdk/client-sqs';
import { config } from '../config';

export const sqs = new SQSClient({ region: config.awsRegion });
