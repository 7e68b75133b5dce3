function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
}

export const config = {
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(','),
  rabbitUrl: process.env.RABBIT_URL ?? 'amqp://localhost',
  redisUrl: process.env.REDIS_URL ?? 'redis://localhost:6379',
  awsRegion: process.env.AWS_REGION ?? 'eu-west-1',
  disputesQueueUrl: required('DISPUTES_QUEUE_URL'),
  receiptsQueueUrl: required('RECEIPTS_QUEUE_URL'),
  stripeSecretKey: required('STRIPE_SECRET_KEY'),
  smtpUrl: required('SMTP_URL'),
  fraudApiUrl: required('FRAUD_API_URL'),
  mailFrom: process.env.MAIL_FROM ?? 'Acme Billing <billing@acme.example>',
};
