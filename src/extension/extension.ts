// Extension entry: wires the worker client, the controller, commands, the status bar, prompt
// file support and the inspector panel's serializer. The engine runs in a forked worker
// (dist/worker.js); nothing here loads onnxruntime.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Controller } from './controller';
import { registerExperiments } from './experiments/index';
import { InspectorSerializer, VIEW_TYPE } from './inspectorPanel';
import { isDataset, isPromptFile, registerPromptFiles } from './promptFiles';
import { readSettings } from './config';
import { createStatusBar } from './statusBar';
import { WorkerClient } from './workerClient';

let client: WorkerClient | undefined;

export function activate(ctx: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Refusal Lens', { log: true });
  ctx.subscriptions.push(log);
  log.info(`Refusal Lens ${ctx.extension.packageJSON.version} activated (host ${process.execPath}, node ${process.versions.node})`);

  client = new WorkerClient({
    workerPath: ctx.asAbsolutePath('dist/worker.js'),
    log: (level, message) => log[level](message),
    onDeath: (death) => {
      controller?.workerDied();
      void vscode.window.showErrorMessage(`${death.message} It restarts on the next run.`, 'Restart Engine', 'Show Log').then((a) => {
        if (a === 'Restart Engine') void vscode.commands.executeCommand('refusalLens.restartEngine');
        if (a === 'Show Log') log.show();
      });
    },
  });
  const controller = new Controller(client, ctx.extensionPath, log, vscode.Uri.joinPath(ctx.globalStorageUri, 'graphs').fsPath);
  ctx.subscriptions.push(controller);

  ctx.subscriptions.push(registerExperiments(controller, log, ctx));
  ctx.subscriptions.push(...registerCommands({ ctx, controller, log }));
  ctx.subscriptions.push(createStatusBar(controller));
  ctx.subscriptions.push(...registerPromptFiles());
  ctx.subscriptions.push(vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, new InspectorSerializer(ctx, controller)));
  ctx.subscriptions.push(
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (!readSettings().rerunOnSave) return;
      const last = controller.source;
      if (last && last.uri.toString() === doc.uri.toString() && (isPromptFile(doc.uri) || isDataset(doc.uri))) void controller.rerun();
    }),
  );
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
