import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, CreateTokenDto, CreateUserDto, CurrentActor, TokenResponseDto, UsersService, UserViewDto, type UserView } from '@hgtrace/auth';
import type { Actor } from '@hgtrace/common';
import { uuidParam } from './params.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Allow('users.manage')
  @ApiOperation({ summary: 'Create a user with a role and a country scope (admin)' })
  @ApiCreatedResponse({ type: UserViewDto })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateUserDto): Promise<UserView> {
    return this.users.create(actor, dto);
  }

  @Get()
  @Allow('users.manage')
  @ApiOperation({ summary: 'List users (admin)' })
  @ApiOkResponse({ type: [UserViewDto] })
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  @Get(':id')
  @Allow('users.manage')
  @ApiOperation({ summary: 'One user (admin)' })
  @ApiOkResponse({ type: UserViewDto })
  get(@Param('id', uuidParam()) id: string): Promise<UserView> {
    return this.users.get(id);
  }

  @Delete(':id')
  @Allow('users.manage')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user; their access tokens and API tokens stop working at once (admin)' })
  @ApiNoContentResponse()
  remove(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.users.remove(actor, id);
  }

  @Post(':id/tokens')
  @Allow('users.manage')
  @ApiOperation({ summary: 'Issue a long-lived API token for a system user; shown once, stored hashed (admin)' })
  @ApiCreatedResponse({ type: TokenResponseDto })
  createToken(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string, @Body() dto: CreateTokenDto): Promise<TokenResponseDto> {
    return this.users.createToken(actor, id, dto.name);
  }
}
