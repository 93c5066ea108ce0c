namespace Rpc.Server.Data;

/// <summary>Unix-millisecond cut-offs of live sessions: last used after <see cref="IdleCutoff"/> and created after <see cref="AbsoluteCutoff"/>.</summary>
public readonly record struct SessionCutoffs(long IdleCutoff, long AbsoluteCutoff);
