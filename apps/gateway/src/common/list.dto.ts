import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import type { Type } from '@nestjs/common';

@ApiSchema({ name: 'Unreachable', description: 'A connection a partial list could not read.' })
export class UnreachableDto {
  @ApiProperty({ description: 'The connection that could not be listed.', example: 'sandbox-blynk' })
  connection_id: string;

  @ApiProperty({ description: 'The error type its vendor call ended in.', example: 'upstream_timeout' })
  type: string;

  @ApiProperty({ description: 'What went wrong.', example: 'The vendor did not answer within 10000 ms.' })
  message: string;
}

/** A named list class (`DeviceList`, …) whose `data` holds items of `item`, in the list's default order. */
export function ListOf<T>(item: Type<T>, name: string, exampleId: string, defaultOrder: 'ASC' | 'DESC' = 'ASC'): Type<unknown> {
  class ListDto {
    @ApiProperty({ description: 'Always `list`.', enum: ['list'], example: 'list' })
    object: 'list';

    @ApiProperty({ description: 'The page size that was applied.', example: 50 })
    limit: number;

    @ApiProperty({ description: 'The `after` of the request: the id this page starts after, or null for the first page.', nullable: true, type: String, example: null })
    after: string | null;

    @ApiProperty({ description: 'The order of the items.', enum: ['ASC', 'DESC'], example: defaultOrder })
    order: 'ASC' | 'DESC';

    @ApiProperty({ description: 'Whether another page follows; false only on the last page.', example: true })
    has_more: boolean;

    @ApiPropertyOptional({ description: 'The exact number of matching items; present with `include=total_count`.', example: 14 })
    total_count?: number;

    @ApiProperty({ description: `The items of this page. Pass the last one's id (e.g. \`${exampleId}\`) as \`after\` to get the next page.`, type: [item] })
    data: T[];

    @ApiPropertyOptional({ description: 'With `partial=true`: the connections that could not be listed.', type: [UnreachableDto] })
    unreachable?: UnreachableDto[];
  }
  Object.defineProperty(ListDto, 'name', { value: name });
  ApiSchema({ name, description: `A page of ${name.replace(/List$/, '').toLowerCase()}s: the Izuma list object.` })(ListDto);
  return ListDto;
}
