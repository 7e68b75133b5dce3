/**
 * Fixtures more than one rule's tests read: one text, so the rules are judged on the same code.
 */

/**
 * A business state loaded by a message-derived key through a store the analysis cannot see into
 * (decorated onto the server object the registering function is given): leaving when the callback
 * was already acknowledged, and recording the acknowledgement after the POST, is a (non-atomic)
 * dedup check (docs/model.md, "Guards"). `load` is the call that loads; `record` what follows the POST.
 */
export const sqsDecoratedStore = (
  load = 'server.app.uploads.findUpload(uploadId)',
  record = 'upload.acknowledged = new Date().toISOString();',
): string => `import { Consumer } from 'sqs-consumer';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/upload-callbacks';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function startCallbacks(server: { app: any }): Consumer {
  return Consumer.create({
    queueUrl: QUEUE_URL,
    handleMessage: async (message) => {
      const { uploadId } = JSON.parse(message.Body ?? '{}') as { uploadId: string };
      const upload = await ${load};
      if (!upload) return;
      if (upload.acknowledged) return;
      await fetch(upload.callbackUrl, { method: 'POST', body: JSON.stringify({ uploadId, status: upload.status }) });
      ${record}
      await server.app.uploads.saveUpload(uploadId, upload);
    },
  });
}
`;
