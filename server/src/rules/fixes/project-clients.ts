/**
 * The project's own clients, for fixes that write code using them: the Redis client a handler can
 * reach (a module-level value of its file, a `this.` field of its class, or one another module
 * exports) and which Redis package the project uses. Fixes use what the project has rather than
 * adding a client of a package it may not depend on. Reads the program only; writes nothing.
 */
import * as path from 'node:path';
import { ts } from 'ts-morph';
import type { SourceReader } from '../../analysis/source/reader';
import { originModule } from '../../analysis/source/symbols';
import { isProjectCode } from '../../analysis/source/ast';

export type RedisPackage = 'ioredis' | 'node-redis';

const REDIS_PACKAGES: Record<string, RedisPackage> = {
  ioredis: 'ioredis',
  'ioredis-mock': 'ioredis',
  redis: 'node-redis',
  '@redis/client': 'node-redis',
};

export interface ProjectRedis {
  /** The expression the handler uses for the client (`redis`, `this.redis`); undefined: the fix makes one. */
  client?: string;
  /** An import the fix adds to reach the client, when another module exports it. */
  importFrom?: { name: string; module: string };
  package: RedisPackage;
}

/** A value made by a call or `new` (a client), not the package's class or factory itself. */
function isInstanceDeclaration(declaration: ts.Node | undefined): declaration is ts.VariableDeclaration {
  return (
    !!declaration &&
    ts.isVariableDeclaration(declaration) &&
    ts.isIdentifier(declaration.name) &&
    !!declaration.initializer &&
    /^(new\s|await\s)|\)\s*$/.test(declaration.initializer.getText().trim())
  );
}

function redisPackageOf(expression: ts.Expression, checker: ts.TypeChecker | undefined): RedisPackage | undefined {
  if (!checker) return undefined;
  const origin = originModule(expression, checker);
  return origin ? REDIS_PACKAGES[origin] : undefined;
}

/** Names bound at the top of a file that hold a client instance (declared there or imported from the project). */
function moduleClients(sourceFile: ts.SourceFile, checker: ts.TypeChecker | undefined): ts.Identifier[] {
  const names: ts.Identifier[] = [];
  for (const statement of sourceFile.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations)
        if (isInstanceDeclaration(declaration)) names.push(declaration.name as ts.Identifier);
    }
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      if (!statement.moduleSpecifier.text.startsWith('.')) continue; // the package itself exports classes
      const clause = statement.importClause;
      const bound = [
        ...(clause?.name ? [clause.name] : []),
        ...(clause?.namedBindings && ts.isNamedImports(clause.namedBindings)
          ? clause.namedBindings.elements.map((element) => element.name)
          : []),
      ];
      for (const name of bound) {
        let symbol = checker?.getSymbolAtLocation(name);
        if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker!.getAliasedSymbol(symbol);
        if (isInstanceDeclaration(symbol?.valueDeclaration)) names.push(name);
      }
    }
  }
  return names;
}

/** `this.x` fields of the class a handler method belongs to (constructor parameter properties, fields). */
function classClients(handler: ts.Node): { name: ts.Identifier; expression: string }[] {
  let owner: ts.Node | undefined = handler.parent;
  while (owner && !ts.isClassLike(owner)) owner = owner.parent;
  if (!owner || !ts.isClassLike(owner)) return [];
  const fields: { name: ts.Identifier; expression: string }[] = [];
  for (const member of owner.members) {
    if (ts.isPropertyDeclaration(member) && ts.isIdentifier(member.name))
      fields.push({ name: member.name, expression: `this.${member.name.text}` });
    if (ts.isConstructorDeclaration(member))
      for (const parameter of member.parameters)
        if (ts.isIdentifier(parameter.name) && ts.getModifiers(parameter)?.length)
          fields.push({ name: parameter.name, expression: `this.${parameter.name.text}` });
  }
  return fields;
}

/**
 * The text of a file that may import or export the project's Redis client: the fixes read every
 * project file for it (the CLI's cache treats such files as read by every consumer, pipeline/cache.ts).
 */
export const PROJECT_CLIENT_TEXT = /redis/i;

/**
 * The project's own files, by path: the choice of a client must not depend on the order the
 * program happened to load its files in (a program loaded as far as the analysis reaches, or the
 * cache's partial one, holds them in another order than a full one).
 */
function projectFiles(reader: SourceReader): ts.SourceFile[] {
  return (reader.program?.getSourceFiles() ?? [])
    .filter((file) => !file.isDeclarationFile && !file.fileName.includes('/node_modules/') && isProjectCode(file))
    .sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
}

/** Which Redis package the project's files import; ioredis when none or both. */
function projectRedisPackage(reader: SourceReader): RedisPackage {
  const seen = new Set<RedisPackage>();
  for (const file of projectFiles(reader))
    for (const statement of file.statements)
      if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
        const found = REDIS_PACKAGES[statement.moduleSpecifier.text];
        if (found) seen.add(found);
      }
  return seen.has('node-redis') && !seen.has('ioredis') ? 'node-redis' : 'ioredis';
}

/** A module path from `from` to `target`, as an import specifier (`./redis`, `../lib/redis`). */
function relativeSpecifier(from: string, target: string): string {
  let relative = path.relative(path.dirname(from), target).replace(/\\/g, '/');
  relative = relative.replace(/\.(d\.)?[cm]?[jt]sx?$/, '');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

/** The Redis client a fix in `handler` should use, and the project's Redis package. */
export function projectRedis(handler: ts.Node, reader: SourceReader): ProjectRedis {
  const sourceFile = handler.getSourceFile();
  const checker = reader.program?.getTypeChecker();
  for (const field of classClients(handler)) {
    const found = redisPackageOf(field.name, checker);
    if (found) return { client: field.expression, package: found };
  }
  for (const name of moduleClients(sourceFile, checker)) {
    const found = redisPackageOf(name, checker);
    if (found) return { client: name.text, package: found };
  }
  // A client another module of the project exports.
  for (const file of projectFiles(reader)) {
    if (file === sourceFile) continue;
    for (const statement of file.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      if (!ts.getModifiers(statement)?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (!isInstanceDeclaration(declaration)) continue;
        const found = redisPackageOf(declaration.name as ts.Identifier, checker);
        const name = (declaration.name as ts.Identifier).text;
        if (found && !fileBinds(sourceFile, name))
          return {
            client: name,
            importFrom: { name, module: relativeSpecifier(sourceFile.fileName, file.fileName) },
            package: found,
          };
      }
    }
  }
  return { package: projectRedisPackage(reader) };
}

/** Whether a name is bound at the top of a file (an import or a declaration). */
export function fileBinds(sourceFile: ts.SourceFile, name: string): boolean {
  return sourceFile.statements.some((statement) => {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name?.text === name) return true;
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) return bindings.name.text === name;
      return !!bindings && bindings.elements.some((element) => element.name.text === name);
    }
    if (ts.isVariableStatement(statement))
      return statement.declarationList.declarations.some(
        (declaration) => ts.isIdentifier(declaration.name) && declaration.name.text === name,
      );
    if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) return statement.name?.text === name;
    return false;
  });
}
