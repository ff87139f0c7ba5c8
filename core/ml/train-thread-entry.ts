// Entry of the training worker thread (started by trainInThread from the compiled build).
import { parentPort, workerData } from 'node:worker_threads';
import { trainThreadMain, type TrainThreadData } from './train-thread';

if (!parentPort) throw new Error('core/ml/train-thread-entry runs as a worker thread (see trainInThread)');
void trainThreadMain(workerData as TrainThreadData, parentPort);
