import type { FastifyInstance } from 'fastify';

/** A feature that adds routes to the admin listener (OpenAPI import, console, metrics). */
export interface AdminExtension {
  name: string;
  register(app: FastifyInstance): Promise<void>;
}
