import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { PROVIDER_IDS } from '@devicegate/core';
import { ListOf } from '../common/list.dto.js';

@ApiSchema({ name: 'Project', description: 'A HARDWARIO space, Disruptive Technologies project, iottly project, Izuma account or Blynk organization.' })
export class ProjectDto {
  @ApiProperty({ description: 'Always `project`.', enum: ['project'], example: 'project' })
  object: 'project';

  @ApiProperty({ description: 'Unified id: `<connection_id>:<native id>`.', example: 'sandbox-hardwario:018e08bc-a806-7e52-a5e8-be5b5ff6c1b3' })
  id: string;

  @ApiProperty({ description: 'The connection it comes from.', example: 'sandbox-hardwario' })
  connection_id: string;

  @ApiProperty({ description: 'The provider of that connection.', enum: PROVIDER_IDS, example: 'hardwario' })
  provider: string;

  @ApiProperty({ description: 'The vendor name of the project.', nullable: true, type: String, example: 'acme-warehouse' })
  name: string | null;

  @ApiProperty({ description: 'What the vendor calls it.', enum: ['space', 'project', 'organization', 'account'], example: 'space' })
  kind: string;

  @ApiProperty({ description: 'Number of devices, or null when the vendor does not say cheaply.', nullable: true, type: Number, example: 14 })
  device_count: number | null;

  @ApiProperty({ description: 'When it was created (RFC 3339 UTC), or null.', nullable: true, type: String, format: 'date-time', example: '2023-08-20T21:59:51.011Z' })
  created_at: string | null;

  @ApiPropertyOptional({ description: 'The raw vendor object; present with `include=native`.', type: 'object', additionalProperties: true, example: { id: '018e08bc-a806-7e52-a5e8-be5b5ff6c1b3' } })
  native?: unknown;
}

export const ProjectListDto = ListOf(ProjectDto, 'ProjectList', 'sandbox-hardwario:018e08bc-a806-7e52-a5e8-be5b5ff6c1b3');
