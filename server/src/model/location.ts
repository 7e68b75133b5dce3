/** Places in the source, and edits to it: the coordinates every finding, occurrence and fix uses. */

/** A source range. Lines and columns are 1-based (ESLint style); offsets are 0-based. */
export interface SourceLocation {
  filePath: string;
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface RelatedLocation {
  location: SourceLocation;
  message: string;
}

/** One step of a call chain from the handler to an effect found in another function or file. */
export interface CallChainLink {
  location: SourceLocation;
  /** Name of the function entered at this call. */
  callee: string;
}

export interface TextEdit {
  filePath: string;
  start: number;
  end: number;
  newText: string;
}
