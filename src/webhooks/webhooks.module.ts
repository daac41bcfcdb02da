import { Module } from '@nestjs/common';
import { CustomersModule } from '../customers/customers.module';
import { StaxWebhooksController } from './stax-webhooks.controller';
import { V0WebhooksController } from './v0-webhooks.controller';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookWorker } from './webhook-worker';
import { WebhooksService } from './webhooks.service';

@Module({
  imports: [CustomersModule],
  controllers: [StaxWebhooksController, V0WebhooksController],
  providers: [WebhooksService, WebhookEndpointsRepository, WebhookDeliveriesRepository, WebhookWorker],
})
export class WebhooksModule {}
