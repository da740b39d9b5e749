import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { stringify } from 'yaml';

/** The published OpenAPI document, built once at start from the code. */
@Injectable()
export class OpenApiDocument {
  document: OpenAPIObject;
  yaml: string;

  set(document: OpenAPIObject): void {
    this.document = document;
    this.yaml = toYaml(document);
  }
}

/** Sorts object keys recursively so the document is the same whatever order the code registers things in. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export const toYaml = (document: OpenAPIObject): string => stringify(sortKeys(document), { lineWidth: 0 });
