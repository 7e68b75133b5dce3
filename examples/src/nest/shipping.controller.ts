import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { config } from '../config';
import { prisma } from '../db/prisma';
import { logger } from '../lib/logger';
import { transporter } from '../lib/mailer';
import { redis } from '../lib/redis';
import type { OrderCancelled, OrderPaid } from './shipping.events';

/** Longer than the slowest run; if we crash mid-way the claim expires and a redelivery retries. */
const CLAIM_TTL_SECONDS = 300;
const DONE_TTL_SECONDS = 86_400;

@Controller()
export class ShippingController {
  /** Starts fulfilment: marks the order and mails the packing slip to the warehouse. */
  @EventPattern('order.paid')
  async onOrderPaid(@Payload() event: OrderPaid, @Ctx() context: RmqContext): Promise<void> {
    const channel = context.getChannelRef();
    // The warehouse mail server is slow; ack now so RabbitMQ doesn't redeliver meanwhile.
    channel.ack(context.getMessage());

    await prisma.order.update({ where: { id: event.orderId }, data: { status: 'FULFILLING' } });
    await transporter.sendMail({
      from: config.mailFrom,
      to: event.warehouseEmail,
      subject: `Packing slip for order ${event.orderId}`,
      text: event.lines.map((line) => `${line.quantity} x ${line.sku}`).join('\n'),
    });
  }

  /** Stops fulfilment and tells the customer, once per message. */
  @EventPattern('order.cancelled')
  async onOrderCancelled(@Payload() event: OrderCancelled, @Ctx() context: RmqContext): Promise<void> {
    const channel = context.getChannelRef();
    const message = context.getMessage();
    const key = `order-cancelled:${message.properties.messageId}`;

    try {
      const claimed = await redis.set(key, 'processing', 'EX', CLAIM_TTL_SECONDS, 'NX');
      if (!claimed) {
        logger.info({ key }, 'already processed or in progress, skipping duplicate');
        channel.ack(message);
        return;
      }
      await this.cancel(event, key);
    } catch (err) {
      // Nest would swallow the exception and leave the message unacked: requeue it instead.
      logger.error({ err, orderId: event.orderId }, 'cancellation failed, requeueing');
      channel.nack(message, false, true);
      return;
    }

    channel.ack(message);
  }

  /** The work under the claim: released when it fails, so the redelivery runs it again. */
  private async cancel(event: OrderCancelled, key: string): Promise<void> {
    try {
      await prisma.order.update({ where: { id: event.orderId }, data: { status: 'CANCELLED' } });
      await transporter.sendMail({
        from: config.mailFrom,
        to: event.customerEmail,
        subject: `Order ${event.orderId} cancelled`,
        text: `Your order ${event.orderId} was cancelled: ${event.reason}.`,
      });
    } catch (err) {
      await redis.del(key);
      throw err;
    }
    await redis.set(key, 'done', 'EX', DONE_TTL_SECONDS);
  }
}
