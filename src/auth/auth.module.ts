import { Module } from '@nestjs/common';
import { ApiKeysRepository } from './api-keys.repository';
import { AuthService } from './auth.service';
import { DemoMerchantSeeder } from './demo-merchant.seeder';

@Module({
  providers: [AuthService, ApiKeysRepository, DemoMerchantSeeder],
  exports: [AuthService],
})
export class AuthModule {}
