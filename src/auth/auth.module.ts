import { Module } from '@nestjs/common';
import { AuthService } from './auth.service';
import { DemoMerchantSeeder } from './demo-merchant.seeder';

@Module({
  providers: [AuthService, DemoMerchantSeeder],
  exports: [AuthService],
})
export class AuthModule {}
