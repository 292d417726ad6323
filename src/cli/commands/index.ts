// The table of CLI subcommands. Add a command by importing it here.
import type { Command } from '../command';
import { traceCommand } from './trace';
import { demoCommand } from './demo';
import { extractCommand } from './extract';
import { selectCommand } from './select';
import { geometryCommand } from './geometry';
import { annotateCommand } from './annotate';
import { ablateCommand } from './ablate';
import { mergeCommand } from './merge';
import { modelCommand } from './model';
import { convertCommand } from './convert';
import { vectorsCommand } from './vectors';

export const commands: Command[] = [demoCommand, modelCommand, traceCommand, extractCommand, selectCommand, geometryCommand, annotateCommand, ablateCommand, mergeCommand, convertCommand, vectorsCommand];
