/**
 * sqs-consumer with `shouldDeleteMessages: false` (docs/model.md, "sqs-consumer"): the library
 * deletes nothing when the handler returns; the handler deletes the message itself
 * (`DeleteMessageCommand`), as in a receive loop, and a message it leaves comes back after the
 * visibility timeout. Typed mode has sqs-consumer installed; untyped mode has no node_modules.
 */
import { ruleTester } from '../helpers/rule-tester';

const HEAD = `import { Consumer } from 'sqs-consumer';
import { SQSClient, DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { Pool } from 'pg';

const sqs = new SQSClient({});
const pool = new Pool();
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/shipments';

async function removeMessage(receiptHandle: string | undefined): Promise<void> {
  await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: receiptHandle }));
}
`;

/** A consumer whose handler body is `body`, with `shouldDeleteMessages: false` unless `options` says otherwise. */
function consumer(body: string, options = '  shouldDeleteMessages: false,\n'): string {
  return `${HEAD}
export const shipments = Consumer.create({
  queueUrl: QUEUE_URL,
${options}  handleMessage: async (message) => {
${body}
  },
});
`;
}

const DELETE_FIRST = consumer(`    await removeMessage(message.ReceiptHandle);
    await pool.query('UPDATE shipments SET status = $1 WHERE id = $2', ['sent', message.Body]);`);

const DELETE_AFTER =
  consumer(`    await pool.query('UPDATE shipments SET status = $1 WHERE id = $2', ['sent', message.Body]);
    await removeMessage(message.ReceiptHandle);`);

const CATCH_LOGS = (options?: string): string =>
  consumer(
    `    try {
      await pool.query('UPDATE shipments SET status = $1 WHERE id = $2', ['sent', message.Body]);
    } catch (error) {
      console.error(error);
    }`,
    options,
  );

const packageJson = (range: string): string =>
  JSON.stringify({ name: 'svc', private: true, dependencies: { 'sqs-consumer': range } });

const lineOf = (code: string, text: string): number => code.split('\n').findIndex((line) => line.includes(text)) + 1;

ruleTester('ack-before-process', {
  valid: [
    { name: 'shouldDeleteMessages: false, deleted after the processing', code: DELETE_AFTER },
    {
      name: 'the default (deleted when the handler resolves): no settle in the handler',
      code: consumer(
        `    await pool.query('UPDATE shipments SET status = $1 WHERE id = $2', ['sent', message.Body]);`,
        '',
      ),
    },
  ],
  invalid: [
    {
      name: 'shouldDeleteMessages: false, the handler deletes the message before the processing',
      code: DELETE_FIRST,
      errors: [
        {
          line: lineOf(DELETE_FIRST, 'await removeMessage(message.ReceiptHandle);'),
          messageId: 'ackBeforeProcessing',
          data: 'DeleteMessageCommand',
        },
      ],
    },
  ],
});

ruleTester('swallowed-failure-ack', {
  valid: [
    {
      name: 'shouldDeleteMessages: false, a catch that only logs: nothing deletes the message, it comes back',
      code: CATCH_LOGS(),
    },
  ],
  invalid: [
    {
      name: 'the default (sqs-consumer 13): a catch that only logs, then the library deletes the message',
      code: CATCH_LOGS(''),
      files: { 'package.json': packageJson('^13.1.0') },
      errors: [{ line: lineOf(CATCH_LOGS(''), '} catch (error) {'), messageId: 'returnAfterCaughtFailure' }],
    },
  ],
});

ruleTester('unsettled-message', {
  valid: [
    {
      name: 'shouldDeleteMessages: false, a path that deletes nothing: the visibility timeout retries it',
      code: CATCH_LOGS(),
      files: {
        'package.json': packageJson('^14.2.8'),
      },
    },
  ],
  invalid: [],
});
