import { Controller, Get, Header, Inject, Optional, Param, Res, StreamableFile } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/access/index.js';
import { ConsoleErrors } from './admin-console.errors.js';
import { CONSOLE_DIR, ConsoleAssets, consoleContentSecurityPolicy } from './console-assets.js';

/** Where the built console is read from (tests point it elsewhere); default dist/console. */
export const CONSOLE_DIR_TOKEN = Symbol('console-dir');

/** What this controller needs of a reply; the same on the Express and the Fastify adapter. */
interface Reply {
  header(name: string, value: string): unknown;
}

const ASSET_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * The admin console: a static single-page app. The page and its assets are public (they hold
 * no data); everything it shows comes from the admin API, which the admin's session authorizes.
 */
@ApiExcludeController()
@Controller('console')
export class AdminConsoleController {
  /** Kept once loaded; a console not built yet is looked for again on the next request. */
  private assets: ConsoleAssets | null = null;

  constructor(@Optional() @Inject(CONSOLE_DIR_TOKEN) private readonly dir: string = CONSOLE_DIR) {}

  private built(): ConsoleAssets {
    this.assets ??= ConsoleAssets.load(this.dir);
    if (!this.assets) return ConsoleErrors.raise('console_not_built', 'the console was not built: run npm run build');
    return this.assets;
  }

  @Get('assets/:name')
  @Public()
  @Header('Cache-Control', 'no-cache')
  asset(@Param('name') name: string): StreamableFile {
    const found = ASSET_NAME.test(name) ? this.built().asset(name) : undefined;
    if (!found) return ConsoleErrors.raise('console_file_not_found', 'no such console file');
    return new StreamableFile(found.body, { type: found.type, length: found.body.length });
  }

  /** Every other path under /console is a page of the app, which routes in the browser. */
  @Get()
  @Public()
  page(@Res({ passthrough: true }) res: Reply): string {
    return this.sendPage(res);
  }

  @Get('*path')
  @Public()
  deepPage(@Res({ passthrough: true }) res: Reply): string {
    return this.sendPage(res);
  }

  private sendPage(res: Reply): string {
    const { html, nonce } = this.built().page();
    res.header('Content-Type', 'text/html; charset=utf-8');
    res.header('Cache-Control', 'no-store');
    res.header('Content-Security-Policy', consoleContentSecurityPolicy(nonce));
    res.header('Referrer-Policy', 'no-referrer');
    return html;
  }
}
