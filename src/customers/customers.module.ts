import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CustomerChanges } from './customer-changes';
import { CustomersRepository } from './customers.repository';
import { CustomersService } from './customers.service';
import { StaxCustomersController } from './stax-customers.controller';
import { V0CustomersController } from './v0-customers.controller';

@Module({
  imports: [AuditModule],
  controllers: [StaxCustomersController, V0CustomersController],
  providers: [CustomersService, CustomersRepository, CustomerChanges],
  exports: [CustomersService, CustomerChanges],
})
export class CustomersModule {}
