namespace Rpc.Server.Errors;

/// <summary>
/// Tells failures that mean "try again later" (a busy or unreachable store) from defects. The data
/// layer implements it, so the dispatcher can answer "database busy" without knowing any driver.
/// </summary>
public interface ITransientErrors
{
    bool IsTransient(Exception exception);
}
