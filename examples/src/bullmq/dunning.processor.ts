import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { config } from '../config';
import { logger } from '../lib/logger';
import { transporter } from '../lib/mailer';
import { formatMoney } from '../services/email';
import type { DunningReminderJob } from './jobs';

/** Reminds customers of overdue invoices (NestJS, registered with BullModule.registerQueue({ name: 'dunning' })). */
@Processor('dunning', { concurrency: 2 })
export class DunningProcessor extends WorkerHost {
  async process(job: Job<DunningReminderJob>): Promise<void> {
    const reminder = job.data;
    await transporter.sendMail({
      from: config.mailFrom,
      to: reminder.customerEmail,
      subject: `Reminder: invoice ${reminder.invoiceNumber} is ${reminder.daysOverdue} days overdue`,
      text: `Please pay ${formatMoney(reminder.amountDueCents, reminder.currency)} for invoice ${reminder.invoiceNumber}.`,
    });
    logger.info({ jobId: job.id, invoiceId: reminder.invoiceId }, 'dunning reminder sent');
  }
}
