import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Licence } from './licence.entity.js';
import { LicencesService } from './licences.service.js';
import { Trader } from './trader.entity.js';
import { TradersService } from './traders.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Trader, Licence])],
  providers: [TradersService, LicencesService],
  exports: [TradersService, LicencesService],
})
export class RegistryModule {}
